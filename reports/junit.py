"""`--format junit`: the report as JUnit XML, so a CI pipeline that gates a change window shows
the result natively: one testsuite per (account, region), one testcase per DB instance in the
headline mode — a failure when it is not ready (the blockers' messages), an error when it is
unknown (what could not be checked), skipped when preflight skipped it (and why)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from auditor.terminal import printable as clean

# verdict -> (element, counter, finding status, mode key with the check ids, message lead)
OUTCOMES = {
    "not_ready": ("failure", "failures", "fail", "blocking", "not ready"),
    "unknown": ("error", "errors", "unknown", "unknown", "could not check"),
}


def render_junit(report: dict[str, Any]) -> str:
    headline = str(report["worker_network"])
    findings: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for f in report["findings"]:
        if headline in f["modes"] and f["status"] in ("fail", "unknown"):
            key = (f["account_id"], f["region"], f["target"] or "")
            findings.setdefault(key, []).append(f)
    units = sorted(
        {(t["account_id"], t["region"]) for t in report["targets"]}
        | {(s["account_id"], s["region"]) for s in report["skipped"]}
    )
    root = ET.Element("testsuites", name=f"preflight: Veeam RDS backup readiness ({headline})")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for account, region in units:
        suite = ET.SubElement(root, "testsuite", name=f"{account} {region}")
        counts = dict.fromkeys(totals, 0)
        for t in (
            t for t in report["targets"] if (t["account_id"], t["region"]) == (account, region)
        ):
            case = ET.SubElement(
                suite, "testcase", name=t["db_instance_id"], classname=f"{account}.{region}"
            )
            counts["tests"] += 1
            mode = t["modes"][headline]
            related = findings.get((account, region, t["db_instance_id"]), []) + findings.get(
                (account, region, ""), []
            )
            outcome = OUTCOMES.get(mode["verdict"])
            if outcome is not None:
                element, counter, status, ids, lead = outcome
                counts[counter] += 1
                marked = ET.SubElement(
                    case,
                    element,
                    message=f"{lead}: {', '.join(mode[ids])}",
                    type=mode["verdict"],
                )
                marked.text = "\n".join(
                    f"{f['check_id']}: {clean(f['message'])}"
                    for f in related
                    if f["status"] == status
                )
        for s in (
            s for s in report["skipped"] if (s["account_id"], s["region"]) == (account, region)
        ):
            case = ET.SubElement(
                suite, "testcase", name=s["db_instance_id"], classname=f"{account}.{region}"
            )
            ET.SubElement(case, "skipped", message=clean(s["reason"]))
            counts["tests"] += 1
            counts["skipped"] += 1
        for name, value in counts.items():
            suite.set(name, str(value))
            totals[name] += value
    for name, value in totals.items():
        root.set(name, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
