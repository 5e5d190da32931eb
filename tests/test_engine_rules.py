"""The verdict rule and check plugins, on plain inventories (checks never call AWS)."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from auditor.engine import CheckLoadError, evaluate, load_checks
from auditor.inventory import AccountRecord, DBInstance, Inventory, RegionInventory, Vpc
from auditor.model import Mode, Status
from checks.base import Check
from checks.rds_engine_supported import EngineSupported
from checks.vpc_dns_hostnames import DnsHostnames
from checks.vpc_dns_support import DnsSupport
from tests import plugin_checks

# The engine's rules are shown with the checks that need no network data.
CORE = (EngineSupported, DnsSupport, DnsHostnames)


def checks_with(*names: str) -> list[Check]:
    """The core built-ins plus the named plugin checks, loaded through entry points."""
    return load_checks(plugins(*names), builtins=CORE)


def plugins(*names: str) -> list[EntryPoint]:
    return [
        EntryPoint(
            name=getattr(plugin_checks, n).id,
            value=f"tests.plugin_checks:{n}",
            group="preflight.checks",
        )
        for n in names
    ]


def pg(
    name: str = "orders", vpc: str = "vpc-1", engine: str = "postgres", **kw: object
) -> DBInstance:
    return DBInstance(
        db_instance_id=name,
        arn=f"arn:aws:rds:eu-west-1:111122223333:db:{name}",
        engine=engine,
        engine_version=str(kw.pop("version", "16.3")),
        status=str(kw.pop("status", "available")),
        availability_zone=str(kw.pop("availability_zone", "eu-west-1a")),
        vpc_id=vpc,
        **kw,  # type: ignore[arg-type]
    )


def inventory(
    *dbs: DBInstance, vpcs: list[Vpc] | None = None, requested: list[str] | None = None
) -> Inventory:
    region = RegionInventory(
        account_id="111122223333",
        region="eu-west-1",
        db_instances=list(dbs),
        vpcs={
            v.vpc_id: v for v in (vpcs if vpcs is not None else [Vpc("vpc-1", True, True, True)])
        },
    )
    return Inventory(
        accounts=[AccountRecord("111122223333", "arn:aws:iam::111122223333:user/a")],
        regions=[region],
        requested_db_instances=requested or [],
    )


def test_a_plugin_check_blocks_only_the_modes_it_declares():
    result = evaluate(inventory(pg()), checks_with("FailsInPublic"), Mode.PUBLIC)

    (target,) = result.targets
    assert target.modes[Mode.PUBLIC].blocking == ["acme.fails-in-public"]
    assert target.modes[Mode.PRIVATE].verdict == "ready"
    assert result.exit_code() == 1


def test_a_check_whose_prerequisite_failed_is_skipped_and_not_run():
    plugin_checks.NeedsDns.ran.clear()
    inv = inventory(
        pg("broken", vpc="vpc-2"),
        pg("fine"),
        vpcs=[Vpc("vpc-1", True, True, True), Vpc("vpc-2", True, False, True)],
    )

    result = evaluate(inv, checks_with("NeedsDns"), Mode.PUBLIC)

    skipped = [
        f for f in result.findings if f.check_id == "acme.needs-dns" and f.target == "broken"
    ]
    assert [(f.status, f.evidence) for f in skipped] == [
        ("skip", {"skipped_because": "vpc.dns-support"})
    ]
    assert plugin_checks.NeedsDns.ran == ["fine"]
    broken = next(t for t in result.targets if t.db_instance_id == "broken")
    assert broken.modes[Mode.PUBLIC].blocking == ["vpc.dns-support"]


def test_a_warning_severity_failure_never_changes_the_verdict():
    result = evaluate(inventory(pg()), checks_with("WarningOnly"), Mode.PUBLIC)

    assert [t.verdict for t in result.targets] == ["ready"]
    assert any(f.check_id == "acme.warning-only" and f.status == "fail" for f in result.findings)
    assert result.exit_code() == 0


def test_unknown_makes_a_mode_unknown_but_a_failure_wins():
    unread = Vpc("vpc-1")  # attributes not read
    unread_only = evaluate(inventory(pg(), vpcs=[unread]), checks_with(), Mode.PUBLIC)
    with_failure = evaluate(
        inventory(pg(version="11.1"), vpcs=[unread]), checks_with(), Mode.PUBLIC
    )

    assert unread_only.targets[0].verdict == "unknown"
    assert unread_only.targets[0].modes[Mode.PUBLIC].unknown == ["vpc.dns-support"]
    assert unread_only.exit_code() == 3
    assert with_failure.targets[0].verdict == "not_ready"
    assert with_failure.targets[0].modes[Mode.PUBLIC].unknown == ["vpc.dns-support"]
    assert with_failure.exit_code() == 1


def test_a_check_that_crashes_is_unknown_never_a_pass():
    result = evaluate(inventory(pg()), checks_with("Crashes"), Mode.PUBLIC)

    (finding,) = [f for f in result.findings if f.check_id == "acme.crashes"]
    assert finding.status == "unknown"
    assert "KeyError" in finding.message
    assert result.targets[0].verdict == "unknown"


def test_a_check_for_other_engines_emits_nothing():
    result = evaluate(inventory(pg()), checks_with("SqlServerOnly"), Mode.PUBLIC)

    assert not [f for f in result.findings if f.check_id == "acme.sqlserver-only"]
    assert result.targets[0].verdict == "ready"


@pytest.mark.parametrize(
    ("engine", "cluster", "reason"),
    [
        ("aurora-postgresql", "cl-1", "does not take image-level backups of Aurora"),
        ("postgres", "mz-cluster", "member of DB cluster mz-cluster"),
        ("oracle-ee", None, "creates no image-level backups of Oracle DB instances"),
        ("mariadb", None, "creates no image-level backups of MariaDB DB instances"),
    ],
)
def test_engines_veeam_cannot_back_up_are_skipped_with_the_reason(engine, cluster, reason):
    db = pg("x", engine=engine, db_cluster_id=cluster)

    result = evaluate(inventory(db), checks_with(), Mode.PUBLIC)

    assert result.targets == []
    (skipped,) = result.skipped
    assert reason in skipped.reason


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["DuplicateId"], "defined twice"),
        (["BadMode"], "modes"),
        (["UnknownPrerequisite"], "requires unknown check 'acme.nowhere'"),
    ],
)
def test_invalid_plugins_are_refused_at_load(names, message):
    with pytest.raises(CheckLoadError, match=message):
        checks_with(*names)


def test_entry_point_name_must_match_the_check_id():
    ep = EntryPoint(
        name="acme.other", value="tests.plugin_checks:WarningOnly", group="preflight.checks"
    )

    with pytest.raises(CheckLoadError, match="differs from its id"):
        load_checks([ep])


def test_a_plugin_that_does_not_import_is_one_clear_error(preflight, monkeypatch):
    broken = EntryPoint(
        name="acme.missing", value="tests.no_such_module:Check", group="preflight.checks"
    )
    monkeypatch.setattr("auditor.engine.importlib.metadata.entry_points", lambda group: [broken])

    run = preflight("checks")

    assert run.code == 2
    assert "check plugin 'acme.missing'" in run.err
    assert "Traceback" not in run.err


def test_checks_command_lists_the_built_in_checks(preflight):
    run = preflight("checks")

    assert run.code == 0
    rows = {line.split()[0]: line.split()[1:4] for line in run.out.splitlines()[1:]}
    assert rows["rds.engine-supported"] == ["public,private,vpc-endpoints", "all", "blocker"]
    assert rows["vpc.dns-support"] == ["public,private,vpc-endpoints", "all", "blocker"]
    assert rows["vpc.dns-hostnames"] == ["private,vpc-endpoints", "all", "blocker"]


def test_a_region_scope_failure_blocks_every_target_of_that_region():
    inv = inventory(pg("a"), pg("b"))
    inv.regions.append(RegionInventory("111122223333", "us-east-1", db_instances=[]))

    result = evaluate(inv, checks_with("RegionQuota"), Mode.PUBLIC)

    assert [t.modes[Mode.PUBLIC].blocking for t in result.targets] == [["acme.region-quota"]] * 2
    (finding,) = [f for f in result.findings if f.check_id == "acme.region-quota"]
    assert (finding.target, finding.region, finding.resource_id) == (None, "eu-west-1", "quota-1")
    assert finding.message == "no room for 2 more"
    assert result.to_dict()["findings"][0]["check_id"] == "acme.region-quota"  # target null first


def test_a_region_scope_check_counts_only_for_the_engines_it_declares():
    inv = inventory(pg("pg"), pg("sql", engine="sqlserver-se", version="15.00.4345.5.v1"))

    result = evaluate(inv, checks_with("RegionSqlServerOnly"), Mode.PUBLIC)

    verdicts = {t.db_instance_id: t.verdict for t in result.targets}
    assert verdicts == {"pg": "ready", "sql": "not_ready"}
    (finding,) = [f for f in result.findings if f.check_id == "acme.region-sqlserver"]
    assert finding.message == "sql"


def test_a_plugin_subnet_rule_decides_which_candidates_can_take_a_worker():
    from tests.inventory_builder import PUBLIC_SUBNET, audit, baseline, subnet

    unit = baseline()
    assert subnet(unit, PUBLIC_SUBNET).subnet_id == "subnet-public"
    unit.subnets.append(  # type: ignore[union-attr]
        type(subnet(unit, PUBLIC_SUBNET))(
            "subnet-3", "vpc-1", "eu-west-1a", "available", "10.0.9.0/24", 10, True
        )
    )
    checks = load_checks(plugins("NoOddSubnets"))

    result = evaluate(Inventory([AccountRecord("111122223333", None)], [unit]), checks, Mode.PUBLIC)
    plain = audit(unit)

    public = result.targets[0].modes[Mode.PUBLIC]
    assert plain.targets[0].modes[Mode.PUBLIC].worker_subnets == ["subnet-3", "subnet-public"]
    assert public.worker_subnets == ["subnet-public"]
    assert public.verdict == "ready"
    (finding,) = [f for f in result.findings if f.check_id == "acme.no-odd-subnets"]
    assert finding.message.startswith("subnet-public is even")


def test_reads_must_name_an_inventory_part():
    with pytest.raises(CheckLoadError, match=r"reads \['ec2.flow_logs'\] are not inventory parts"):
        checks_with("ReadsNothingKnown")


def test_docs_must_be_sources_with_an_https_address():
    class Sourced(Check):
        id = "acme.sourced"
        title = "cites a bare string"
        docs = ("see the wiki",)  # type: ignore[assignment]

    with pytest.raises(CheckLoadError, match=r"docs must be checks\.docs\.Source"):
        load_checks([], builtins=(*CORE, Sourced))


def test_a_built_in_check_lives_in_the_module_named_for_its_id():
    from checks import BUILTIN_CHECKS, module_for

    assert all(c.__module__ == module_for(c.id) for c in BUILTIN_CHECKS)


def test_a_subnet_rule_that_ignores_the_db_is_judged_once_per_subnet():
    """Two targets in one AZ, three modes: a rule declaring `subnet_rule_uses_db = False` runs
    once per candidate subnet; one that may look at the DB instance runs once per target."""
    from auditor.inventory import Subnet
    from auditor.outcome import Outcome
    from auditor.workers import WorkerPlans
    from tests.inventory_builder import baseline, db_instance

    calls: dict[str, list[tuple[str, str]]] = {"shared": [], "per-db": []}

    class Rule:
        subnet_modes = frozenset({Mode.PUBLIC, Mode.PRIVATE})

        def __init__(self, rule_id: str, uses_db: bool):
            self.id, self.subnet_rule_uses_db = rule_id, uses_db

        def applies_to(self, db: DBInstance) -> bool:
            return True

        def subnet_rule(self, unit, db: DBInstance, subnet: Subnet) -> Outcome:
            calls[self.id].append((db.db_instance_id, subnet.subnet_id))
            return Outcome(Status.PASS, "fine")

    unit = baseline()
    unit.db_instances = [db_instance(), db_instance(db_instance_id="db2")]
    plans = WorkerPlans(unit, rules=[Rule("shared", False), Rule("per-db", True)])
    for db in unit.db_instances:
        for mode in Mode:
            plans.plan(db, mode)

    # One public and one private candidate in the AZ.
    assert sorted(s for _, s in calls["shared"]) == ["subnet-private", "subnet-public"]
    assert sorted(calls["per-db"]) == [
        ("db", "subnet-private"), ("db", "subnet-public"),
        ("db2", "subnet-private"), ("db2", "subnet-public"),
    ]  # fmt: skip


def test_the_path_names_the_region_of_a_db_instance_in_a_local_zone():
    """A Local Zone's name does not end in one letter after the Region's (us-west-2-lax-1a)."""
    db = pg(availability_zone="us-west-2-lax-1a")
    inv = inventory(db)
    inv.regions[0].region = "us-west-2"

    result = evaluate(inv, checks_with(), Mode.PUBLIC)

    (target,) = result.targets
    labels = {m: mv.path[5].label for m, mv in target.modes.items()}
    assert labels[Mode.PUBLIC] == "internet: AWS endpoints of us-west-2"
    assert labels[Mode.PRIVATE] == "AWS services of us-west-2 (PrivateLink)"


def test_the_collector_is_off_only_while_findings_and_reports_are_built():
    import gc

    from auditor import heap

    assert gc.isenabled()
    with heap.kept():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with heap.kept():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), heap.kept():
        raise RuntimeError
    assert gc.isenabled()
