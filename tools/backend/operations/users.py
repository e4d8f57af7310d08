"""Users system: finding and reading customers, changing their default address."""

from __future__ import annotations

import sqlite3

from .. import records
from ..contracts import FindUserByEmail, FindUserByNameZip, ModifyUserAddress, UserIdResult, UserRef, UserResult
from ..errors import NotFound
from ..models import Address
from ..operation import operation


@operation("read", "users")
def find_user_id_by_email(conn: sqlite3.Connection, args: FindUserByEmail) -> UserIdResult:
    """Find a customer's user id by email address (case-insensitive)."""
    found = records.find_user_ids_by_email(conn, args.email)
    if not found:
        raise NotFound("user not found")
    return UserIdResult(user_id=found[0])


@operation("read", "users")
def find_user_id_by_name_zip(conn: sqlite3.Connection, args: FindUserByNameZip) -> UserIdResult:
    """Find a customer's user id by first name, last name (case-insensitive) and zip code."""
    found = records.find_user_ids_by_name_zip(conn, args.first_name, args.last_name, args.zip)
    if not found:
        raise NotFound("user not found")
    return UserIdResult(user_id=found[0])


@operation("read", "users")
def get_user_details(conn: sqlite3.Connection, args: UserRef) -> UserResult:
    """A customer's profile: name, default address, email, payment methods (gift card balances) and order ids."""
    user = records.read_user(conn, args.user_id)
    if user is None:
        raise NotFound("user not found")
    return UserResult(user=user)


@operation("write", "users")
def modify_user_address(conn: sqlite3.Connection, args: ModifyUserAddress) -> UserResult:
    """Replace a customer's default address. List the new address and get an explicit yes first."""
    if records.read_user(conn, args.user_id) is None:
        raise NotFound("user not found")
    records.save_user_address(conn, args.user_id, Address(**args.model_dump(exclude={"user_id"})))
    return UserResult(user=records.read_user(conn, args.user_id))
