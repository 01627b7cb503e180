"""POST /v1/imports: planners and admins only, in a worker, the report as JSON or XLSX."""

from __future__ import annotations

import io

import openpyxl
from openapi_check import check

SMALL = ("户号,小区,房屋,户主,人数,电话\n"
         "T1,金林小区,３栋２单元９０４,王五,3,13900000001\n"
         "T2,火星小区,1栋1单元101,李四,2,13900000002\n"
         "T1,金林小区,3栋2单元904,王五,3,13900000001\n").encode("gb18030")


def _post(client, who, body=SMALL, **params):
    params = {"kind": "households", "dry_run": "true", **params}
    return client.post("/v1/imports", params=params, content=body,
                       headers={**(who.headers if who else {}), "Content-Type": "text/csv"})


def test_a_planner_gets_the_dry_run_report_and_nothing_is_written(client, accounts) -> None:
    r = _post(client, accounts["planner"], filename="登记.csv")
    body = check(r)
    assert r.status_code == 200 and body["dry_run"] and body["written"] is None
    assert body["counts"] == {"rows": 3, "matched": 1, "ambiguous": 0, "unmatched": 1, "duplicate": 1}
    assert body["rows"][0]["grid"]["code"].startswith("610802") and body["rows"][2]["duplicate_of"] == 2
    assert "王五" not in r.text and "13900000001" not in r.text     # personal fields are never echoed


def test_the_report_comes_as_a_workbook(client, accounts) -> None:
    r = _post(client, accounts["admin"], format="xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[1].values)
    assert [row[1].split()[1] for row in rows[1:]] == ["matched", "unmatched", "duplicate"]


def test_rows_outside_a_planners_scope_are_not_matched(client, accounts) -> None:
    body = check(_post(client, accounts["gulou_planner"]))   # 金林小区 lies outside 鼓楼街道
    assert body["counts"]["matched"] == 0 and "scope" in body["rows"][0]["reason"]


def test_anonymous_staff_and_consumers_may_not_import(client, accounts) -> None:
    assert _post(client, None).status_code == 401
    for who in ("staff", "consumer"):
        r = _post(client, accounts[who])
        assert (r.status_code, r.json()["code"]) == (403, "forbidden")


def test_hostile_files_are_400_with_a_code(client, accounts) -> None:
    for body in (b"", b"PK\x03\x04" + b"\x00" * 100, SMALL[:-3] + b"\xff\xfe\n", b"a,b\n1,2\n" * 1000):
        r = _post(client, accounts["planner"], body=body)
        assert (r.status_code, check(r)["code"]) == (400, "invalid_register")
    header_only = check(_post(client, accounts["planner"], body="小区,房屋,人数\n".encode("gb18030")))
    assert header_only["counts"]["rows"] == 0 and header_only["rows"] == []
    huge = SMALL + "T9,金林小区,3栋2单元904,王五,3,13900000001\n".encode("gb18030") * 20000
    assert check(_post(client, accounts["planner"], body=huge))["counts"]["duplicate"] == 20001


def test_a_register_over_the_body_limit_is_413_before_any_work(client, accounts, settings) -> None:
    huge = SMALL * (settings.limits.max_body_bytes // len(SMALL) + 1)
    r = _post(client, accounts["planner"], body=huge)
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large")
