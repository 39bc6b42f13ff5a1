"""Admins manage who may do what; every change is recorded; the CLI bootstraps the first admin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from catalogue.users import ensure_user

CATALOGUE = str(Path(sys.executable).parent / "catalogue")


def _new_user(api, subject: str, name: str) -> int:
    return api.run(ensure_user, "https://idp.example", subject, name, None, "staff")


def test_admin_lists_users_and_grants_and_removes_roles_with_a_record(api):
    admin = api.headers("admin", user="Anne Admin")
    user_id = _new_user(api, "sub-kari", "Kari Lærer")
    listing = api.get("/api/v1/users?q=kari", headers=admin).json()
    assert [u["id"] for u in listing["items"]] == [user_id]
    assert listing["items"][0]["roles"] == ["staff"]

    granted = api.post(f"/api/v1/users/{user_id}/roles", json={"role": "ict_mentor"}, headers=admin)
    assert granted.status_code == 200 and granted.json()["roles"] == ["ict_mentor", "staff"]
    assert api.get("/api/v1/users?role=ict_mentor", headers=admin).json()["total"] == 1
    removed = api.delete(f"/api/v1/users/{user_id}/roles/ict_mentor", headers=admin)
    assert removed.status_code == 200 and removed.json()["roles"] == ["staff"]
    assert api.delete(f"/api/v1/users/{user_id}/roles/ict_mentor", headers=admin).status_code == 404

    history = api.get(f"/api/v1/users/{user_id}/role-changes", headers=admin).json()
    assert [(h["action"], h["role"], h["changed_by"]) for h in history] == [
        ("grant_role", "staff", "first login"),
        ("grant_role", "ict_mentor", "Anne Admin"),
        ("revoke_role", "ict_mentor", "Anne Admin"),
    ]


def test_unit_affiliations_for_ict_mentors(api):
    admin = api.headers("admin", user="Anne Admin")
    api.post("/api/v1/units", json={"code": "nord-skole", "name": "Nord skole", "kind": "skole"}, headers=admin)
    user_id = _new_user(api, "sub-ola", "Ola Mentor")
    added = api.post(f"/api/v1/users/{user_id}/units", json={"unit": "nord-skole"}, headers=admin)
    assert added.status_code == 200 and added.json()["units"] == ["nord-skole"]
    unknown = api.post(f"/api/v1/users/{user_id}/units", json={"unit": "finnes-ikke"}, headers=admin)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "unit"
    assert api.delete(f"/api/v1/users/{user_id}/units/nord-skole", headers=admin).json()["units"] == []
    actions = [h["action"] for h in api.get(f"/api/v1/users/{user_id}/role-changes", headers=admin).json()]
    assert actions == ["grant_role", "add_unit", "remove_unit"]


def test_bad_role_input_and_unknown_users(api):
    admin = api.headers("admin")
    user_id = _new_user(api, "sub-per", "Per")
    bad = api.post(f"/api/v1/users/{user_id}/roles", json={"role": "wizard"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "role"
    assert api.post("/api/v1/users/999999/roles", json={"role": "staff"}, headers=admin).status_code == 404
    assert api.get("/api/v1/users?role=wizard", headers=admin).status_code == 400


def test_the_last_admin_keeps_the_role_and_cannot_deactivate_themselves(api):
    admin_headers = api.headers("admin", user="eneste-admin")
    me = api.get("/api/v1/users/me", headers=admin_headers).json()
    refused = api.delete(f"/api/v1/users/{me['id']}/roles/admin", headers=admin_headers)
    assert refused.status_code == 409
    assert api.patch(f"/api/v1/users/{me['id']}", json={"active": False}, headers=admin_headers).status_code == 409


def test_deactivating_a_user_locks_them_out(api):
    admin = api.headers("admin")
    staff_token = api.token("staff", user="snart-borte")
    me = api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {staff_token}"}).json()
    assert api.patch(f"/api/v1/users/{me['id']}", json={"active": False}, headers=admin).json()["active"] is False
    assert api.get("/api/v1/resources", headers={"Authorization": f"Bearer {staff_token}"}).status_code == 401


def test_role_changes_take_effect_on_the_next_request(api):
    admin = api.headers("admin")
    token = api.token("staff", user="forfremmet")
    headers = {"Authorization": f"Bearer {token}"}
    me = api.get("/api/v1/users/me", headers=headers).json()
    body = {"code": "ny-bhg", "name": "Ny barnehage", "kind": "barnehage"}
    assert api.post("/api/v1/units", json=body, headers=headers).status_code == 403
    api.post(f"/api/v1/users/{me['id']}/roles", json={"role": "admin"}, headers=admin)
    # a token that carries no roles claim follows the database
    assert api.post("/api/v1/units", json=body, headers=headers).status_code == 201


def test_only_admins_manage_users(api):
    user_id = _new_user(api, "sub-x", "X")
    for role in ["staff", "ict_mentor", "sector_reviewer", "privacy_reviewer", "dpo", "tech_approver"]:
        headers = api.headers(role)
        assert api.get("/api/v1/users", headers=headers).status_code == 403
        assert api.post(f"/api/v1/users/{user_id}/roles", json={"role": "admin"}, headers=headers).status_code == 403
    assert api.get("/api/v1/users").status_code == 401
    assert api.get("/api/v1/users/me").status_code == 401


def test_admin_grant_command_bootstraps_the_first_admin(settings, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": settings.database_url, "VAR_DIR": str(tmp_path),
           "SIGNING_KEY": settings.signing_key_pem}
    subprocess.run([CATALOGUE, "token", "--user", "first", "--role", "staff"], env=env, check=True,
                   capture_output=True)
    granted = subprocess.run([CATALOGUE, "admin", "grant", "--user", "local|first", "--role", "admin"], env=env,
                             capture_output=True, text=True)
    assert granted.returncode == 0, granted.stderr
    listing = subprocess.run([CATALOGUE, "admin", "users"], env=env, capture_output=True, text=True, check=True)
    assert "local|first" in listing.stdout and "admin" in listing.stdout
    missing = subprocess.run([CATALOGUE, "admin", "grant", "--user", "nobody", "--role", "admin"], env=env,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "log in once" in missing.stderr
