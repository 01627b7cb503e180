"""Access: roles, who is asking (the principal), credentials, and what each may see."""

from gisgrid.access.credentials import hash_password, hash_secret, new_token, verify_password
from gisgrid.access.demo_users import DEMO_USERS, ensure_demo_users
from gisgrid.access.redact import coverage_view, lookup_batch_view, lookup_view, mask_phone, person_view
from gisgrid.access.roles import ANONYMOUS, ROLES, Principal
from gisgrid.access.scoped import address_answer_for, address_answers_for, outsider_view
from gisgrid.access.users import (
    NewUser,
    add_user,
    authenticate_password,
    authenticate_token,
    close_session,
    issue_token,
    open_session,
    revoke_user,
    session_principal,
    set_password,
)

__all__ = ["ANONYMOUS", "DEMO_USERS", "ROLES", "NewUser", "Principal", "add_user", "address_answer_for",
           "address_answers_for", "authenticate_password", "authenticate_token", "close_session",
           "coverage_view", "ensure_demo_users", "hash_password", "hash_secret", "issue_token",
           "lookup_batch_view", "lookup_view", "mask_phone", "new_token", "open_session", "outsider_view",
           "person_view", "revoke_user", "session_principal", "set_password", "verify_password"]
