"""Who may upload: users from ASSISTANT_UI_USER / ASSISTANT_UI_PASSWORD, or a JSON file; the
lockout after repeated wrong passwords; the gate that keeps Gradio's upload route for them.

The file (`--users FILE`, else `<index>/ui-users.json`) maps user names to passwords, either plain
or hashed as `pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>` (see `hash_password`):

    {"somchai": "pbkdf2_sha256$200000$9f...$4c...", "trainer": "a plain password"}

A user may also carry a role: `{"ratana": {"password": "...", "role": "reviewer"}}`. Every user may
upload; a reviewer also gets the review tab (ui/review.py). The environment's user takes its role
from ASSISTANT_UI_ROLE.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

USERS_FILE = "ui-users.json"
ROLES = ("uploader", "reviewer")
_ITERATIONS = 200_000


class UsersFileError(ValueError):
    pass


def hash_password(password: str, iterations: int = _ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def _matches(stored: str, given: str) -> bool:
    if stored.startswith("pbkdf2_sha256$"):
        try:
            _, iters, salt, want = stored.split("$")
            got = hashlib.pbkdf2_hmac("sha256", given.encode("utf-8"), bytes.fromhex(salt), int(iters)).hex()
        except ValueError:
            return False
        return hmac.compare_digest(got.encode(), want.encode())
    return hmac.compare_digest(stored.encode("utf-8"), given.encode("utf-8"))


@dataclass
class Users:
    entries: dict[str, str] = field(default_factory=dict)
    source: str = ""
    roles: dict[str, str] = field(default_factory=dict)  # name → role; absent: "uploader"

    def is_reviewer(self, user: str | None) -> bool:
        """For a name already logged in (the session state): may it use the review tab?"""
        return bool(user) and user in self.entries and self.roles.get(user) == "reviewer"

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    def check(self, user: str, password: str) -> bool:
        """Constant-time in the password; every configured user is compared so timing does not
        reveal which names exist."""
        user, password = (user or "").strip(), password or ""
        ok = False
        for name, stored in self.entries.items():
            same_name = hmac.compare_digest(name.encode("utf-8"), user.encode("utf-8"))
            same_pw = _matches(stored, password)
            ok |= same_name and same_pw
        return ok and bool(password)


def load_users(index_dir: Path | None = None, users_file: Path | None = None, env: dict | None = None) -> Users:
    env = os.environ if env is None else env
    entries: dict[str, str] = {}
    roles: dict[str, str] = {}
    sources = []
    user, pw = env.get("ASSISTANT_UI_USER", "").strip(), env.get("ASSISTANT_UI_PASSWORD", "")
    if user and pw:
        entries[user] = pw
        roles[user] = _role(env.get("ASSISTANT_UI_ROLE", ""), "ASSISTANT_UI_ROLE")
        sources.append("env")
    path = Path(users_file) if users_file else (Path(index_dir) / USERS_FILE if index_dir else None)
    if path is not None and (users_file or path.exists()):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsersFileError(f"{path}: cannot read users ({exc})") from None
        if isinstance(data, dict) and isinstance(data.get("users"), list):  # [{"user","password"[,"role"]}]
            data = {u.get("user") or u.get("username"): u for u in data["users"] if isinstance(u, dict)}
        if isinstance(data, dict):  # {"name": {"password", "role"}} → passwords, roles aside
            for name, v in list(data.items()):
                if isinstance(v, dict):
                    roles[name] = _role(v.get("role", ""), f"{path}: {name}")
                    data[name] = v.get("password")
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in data.items()):
            raise UsersFileError(f'{path}: expected {{"user name": "password", ...}}')
        entries.update(data)
        sources.append(str(path))
    return Users(entries, ", ".join(sources), roles)


def _role(value, where: str) -> str:
    role = str(value or "uploader").strip().lower()
    if role not in ROLES:
        raise UsersFileError(f"{where}: unknown role {value!r}; roles are {', '.join(ROLES)}")
    return role


# ---------------------------------------------------------------- lockout


class LoginGuard:
    """Refuse logins after repeated failures, per user name and per address: `max_failures`
    wrong passwords within `window_s` lock that name (and, separately, that address) for
    `lockout_s`. A locked login is refused before its password is checked, so guessing on
    does not help. `clock` is injectable for tests; memory is bounded by `max_keys`."""

    def __init__(self, max_failures: int = 5, window_s: float = 900.0, lockout_s: float = 900.0,
                 clock=time.monotonic, max_keys: int = 10_000):
        self.max_failures = max_failures
        self.window_s = window_s
        self.lockout_s = lockout_s
        self.clock = clock
        self.max_keys = max_keys
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._locked: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, s) -> "LoginGuard":
        return cls(s.login_max_failures, s.login_window_s, s.login_lockout_s)

    @staticmethod
    def _keys(user: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("user", (user or "").strip().casefold())]
        if address:
            keys.append(("address", address))
        return keys

    def locked_for(self, user: str, address: str | None) -> float:
        """Seconds until this user name or address may try again (0: not locked)."""
        now = self.clock()
        with self._lock:
            return max([self._locked.get(k, 0.0) - now for k in self._keys(user, address)] + [0.0])

    def failed(self, user: str, address: str | None) -> None:
        now = self.clock()
        with self._lock:
            for key in self._keys(user, address):
                recent = [t for t in self._failures.get(key, []) if now - t < self.window_s] + [now]
                self._failures[key] = recent
                if len(recent) >= self.max_failures:
                    self._locked[key] = now + self.lockout_s
                    self._failures[key] = []
            for table in (self._failures, self._locked):
                while len(table) > self.max_keys:  # a flood of made-up names must not grow memory
                    table.pop(next(iter(table)))

    def succeeded(self, user: str, address: str | None) -> None:
        with self._lock:
            self._failures.pop(self._keys(user, address)[0], None)

    @staticmethod
    def message(seconds: float) -> str:
        minutes = max(1, math.ceil(seconds / 60))
        return f"เข้าสู่ระบบผิดหลายครั้งเกินกำหนด ระงับการเข้าสู่ระบบชั่วคราว กรุณาลองใหม่ในอีก {minutes} นาที"


# ---------------------------------------------------------------- the upload endpoint

UPLOAD_COOKIE = "tpa_upload"


class UploadTokens:
    """Random tokens handed to logged-in sessions (as a cookie) so Gradio's upload endpoint,
    which every page could otherwise post files to, serves only them."""

    def __init__(self, ttl_s: float = 12 * 3600, clock=time.monotonic):
        self.ttl_s = ttl_s
        self.clock = clock
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self.clock()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self.ttl_s
        return token

    def revoke(self, token: str | None) -> None:
        with self._lock:
            self._tokens.pop(token or "", None)

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            exp = self._tokens.get(token)
        return exp is not None and exp > self.clock()


class UploadGate:
    """ASGI middleware in front of Gradio: a POST to its upload route without a valid upload
    cookie is answered 403 before a byte of the file is read."""

    def __init__(self, app, tokens: UploadTokens):
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("method") == "POST" and scope.get("path", "").rstrip("/").endswith("/upload"):
            from http.cookies import SimpleCookie

            cookie = SimpleCookie()
            for name, value in scope.get("headers", []):
                if name == b"cookie":
                    try:
                        cookie.load(value.decode("latin-1"))
                    except Exception:  # noqa: BLE001 (a malformed cookie header is simply no cookie)
                        pass
            token = cookie[UPLOAD_COOKIE].value if UPLOAD_COOKIE in cookie else None
            if not self.tokens.valid(token):
                from starlette.responses import PlainTextResponse

                await PlainTextResponse("กรุณาเข้าสู่ระบบก่อนอัปโหลดเอกสาร", status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)
