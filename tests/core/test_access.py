"""Access rules without a database: credentials, the role matrix, and redaction."""

from __future__ import annotations

import hashlib

import orjson
import pytest

from gisgrid.access import ANONYMOUS, Principal, coverage_view, lookup_batch_view, lookup_view, mask_phone
from gisgrid.access.credentials import (
    MAX_PASSWORD,
    TOKEN_PREFIX,
    hash_password,
    hash_secret,
    new_token,
    verify_password,
)
from gisgrid.access.redact import person_view
from gisgrid.errors import NotAuthenticatedError, OutOfScopeError, PermissionDeniedError

XUEYUAN, SANGUANHUI = "610802001001", "610802002001"
#: A tiny area tree:   610802 ─┬─ 610802001 ── 610802001001 (学院)
#:                             └─ 610802002 ── 610802002001 (三官会)
GULOU = frozenset({"610802002", SANGUANHUI})


def user(role: str, scope: str | None = None, covered: frozenset[str] = frozenset()) -> Principal:
    return Principal(f"u-{role}", role, user_id=1, scope=scope, covered=covered, via="token")


ADMIN = user("admin")
DISTRICT_PLANNER = user("planner", "610802", frozenset({"610802", "610802001", XUEYUAN, *GULOU}))
GULOU_PLANNER = user("planner", "610802002", GULOU)
XUEYUAN_STAFF = user("staff", XUEYUAN, frozenset({XUEYUAN}))
CONSUMER = user("consumer")


def test_a_token_is_long_random_and_prefixed_and_its_hash_is_its_sha256() -> None:
    a, b = new_token(), new_token()
    assert a != b and a.startswith(TOKEN_PREFIX) and len(a) >= len(TOKEN_PREFIX) + 43
    assert hash_secret(a) == hashlib.sha256(a.encode()).hexdigest() and a not in hash_secret(a)


def test_a_password_hash_is_salted_scrypt_and_verifies_only_the_password() -> None:
    one, two = hash_password("长城 correct horse"), hash_password("长城 correct horse")
    assert one != two and one.startswith("scrypt$16384$8$1$")   # a fresh salt each time
    assert "correct" not in one
    assert verify_password("长城 correct horse", one) and verify_password("长城 correct horse", two)
    assert not verify_password("长城 correct hors", one)
    assert not verify_password("", one)
    assert not verify_password("x" * (MAX_PASSWORD + 1), one)
    assert not verify_password("anything", None)          # no password set: False, same work
    assert not verify_password("anything", "md5$abc")     # not ours: False, not an error
    tampered = one[:-2] + ("AA" if not one.endswith("AA") else "BB")
    assert not verify_password("长城 correct horse", tampered)
    with pytest.raises(ValueError):
        hash_password("")


@pytest.mark.parametrize(("phone", "masked"), [
    ("13812345678", "138****5678"),
    ("0912-3456789", "091*****6789"),
    ("12345678", "123*5678"),
    ("1234567", "*******"),
    (None, None),
])
def test_phone_numbers_keep_their_first_three_and_last_four(phone, masked) -> None:
    assert mask_phone(phone) == masked


# (principal, may edit plans of 610802 / of 三官会, personal data of 学院 / of 三官会)
MATRIX = [
    (ADMIN, True, True, True, True),
    (DISTRICT_PLANNER, True, True, True, True),
    (GULOU_PLANNER, False, True, False, True),
    (XUEYUAN_STAFF, False, False, True, False),
    (CONSUMER, False, False, False, False),
    (ANONYMOUS, False, False, False, False),
]


@pytest.mark.parametrize(("who", "district", "sanguanhui", "xueyuan_data", "sanguanhui_data"), MATRIX,
                         ids=["admin", "district planner", "gulou planner", "xueyuan staff", "consumer",
                              "anonymous"])
def test_rights_follow_the_role_and_the_area_tree(who, district, sanguanhui, xueyuan_data,
                                                   sanguanhui_data) -> None:
    assert who.may_edit_plans("610802") is district
    assert who.may_edit_plans(SANGUANHUI) is sanguanhui
    assert who.may_see_personal(XUEYUAN) is xueyuan_data
    assert who.may_see_personal(SANGUANHUI) is sanguanhui_data


def test_the_checks_raise_401_for_nobody_403_for_a_role_and_403_out_of_scope() -> None:
    with pytest.raises(NotAuthenticatedError):
        ANONYMOUS.require_plan_editor("610802")
    with pytest.raises(PermissionDeniedError) as denied:
        CONSUMER.require_plan_editor("610802")
    assert type(denied.value) is PermissionDeniedError and denied.value.code == "forbidden"
    with pytest.raises(OutOfScopeError):
        GULOU_PLANNER.require_plan_editor("610802")
    with pytest.raises(OutOfScopeError):
        XUEYUAN_STAFF.require_personal(SANGUANHUI)
    assert XUEYUAN_STAFF.require_personal(XUEYUAN) is XUEYUAN_STAFF
    with pytest.raises(PermissionDeniedError):
        XUEYUAN_STAFF.require_role()                       # admin only


MEMBER = {"role": "leader", "name": "李超国", "phone": "13900000001"}


def test_a_team_member_is_seen_whole_masked_or_without_phone_by_who_asks() -> None:
    assert person_view(MEMBER, XUEYUAN_STAFF, XUEYUAN, name_public=False) == MEMBER
    assert person_view(MEMBER, GULOU_PLANNER, XUEYUAN, name_public=False) == {
        **MEMBER, "phone": "139****0001"}
    for outsider in (CONSUMER, ANONYMOUS):
        public = person_view(MEMBER, outsider, XUEYUAN, name_public=True)
        assert public == {"role": "leader", "name": "李超国"}
        assert person_view(MEMBER, outsider, XUEYUAN, name_public=False) == {"role": "leader"}
    assert MEMBER["phone"] == "13900000001"            # the input is left alone


ANSWER = orjson.dumps({"grid": {"id": 1, "code": "610802001001001", "name": "第1网格", "kind": "residential"},
                       "overlays": [], "near_boundary": True,
                       "alternatives": [{"id": 2, "distance_m": 12.5}],
                       "staff": [{"role": "leader", "name": "李超国"},
                                 {"role": "part_time", "name": "朱玉"}]})


def test_lookup_answers_lose_the_teams_names_only_for_outsiders_when_names_are_private() -> None:
    assert lookup_view(ANSWER, ANONYMOUS, public_names=True) is ANSWER
    assert lookup_view(ANSWER, XUEYUAN_STAFF, public_names=False) is ANSWER
    hidden = orjson.loads(lookup_view(ANSWER, CONSUMER, public_names=False))
    assert hidden["staff"] == [{"role": "leader"}, {"role": "part_time"}]
    assert {k: v for k, v in hidden.items() if k != "staff"} == {
        k: v for k, v in orjson.loads(ANSWER).items() if k != "staff"}
    batch = b'{"results":[' + ANSWER + b",null]}"
    out = orjson.loads(lookup_batch_view(batch, ANONYMOUS, public_names=False))
    assert out["results"][1] is None and out["results"][0]["staff"] == hidden["staff"]
    assert "李超国".encode() not in lookup_batch_view(batch, ANONYMOUS, public_names=False)


REPORT = {"ok": False, "summary": {"grids": 2}, "unassigned": {"households": 1, "shops": 0},
          "defects": [{"kind": "gap", "grids": ["a"], "geometry": {"type": "Polygon", "coordinates": []}},
                      {"kind": "unassigned_point", "point": "household:17",
                       "geometry": {"type": "Point", "coordinates": [109.7, 38.2]},
                       "message": "household:17 lies in no grid"}]}


def test_a_coverage_report_names_households_only_to_who_may_see_the_plans_area() -> None:
    for outsider in (ANONYMOUS, CONSUMER, XUEYUAN_STAFF, GULOU_PLANNER):
        view = coverage_view(REPORT, outsider, "610802")
        assert [d["kind"] for d in view["defects"]] == ["gap"]
        assert view["unassigned"] == {"households": 1, "shops": 0}
        assert "household:17" not in orjson.dumps(view).decode()
    assert coverage_view(REPORT, DISTRICT_PLANNER, "610802") is REPORT
    assert coverage_view(REPORT, XUEYUAN_STAFF, XUEYUAN) is REPORT
    assert len(REPORT["defects"]) == 2
