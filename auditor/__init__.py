"""preflight: can Veeam Backup for AWS back up these RDS DB instances?"""

__version__ = "0.1.0"
