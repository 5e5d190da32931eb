"""The report formats (name -> file extension): data only, so the CLI lists them without
loading the renderers."""

FORMATS: dict[str, str] = {"json": "json", "html": "html", "md": "md", "junit": "junit.xml"}
