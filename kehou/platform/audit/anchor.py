"""Signed checkpoints of the audit chains: what makes a cut tail or a rewritten chain visible.

The chains' hashes are unkeyed, so a DBA with the triggers off can delete the newest entries and rewind the
head, or rewrite a whole chain, and the chain still verifies. Every hour (and on ``kehou audit checkpoint``) the
platform writes a checkpoint — every county's head (last seq and hash), the count and the time — signed with an
Ed25519 key that is **not in the database** (a key file: ``KEHOU_AUDIT_KEY_FILE``, by default
``<data dir>/keys/audit-ed25519.pem``, made on first use). The checkpoint goes to the storage backend
(``audit-checkpoints/<time>-<hash>`` and ``audit-checkpoints/latest``) and, when ``KEHOU_AUDIT_ANCHOR_DIR`` is
set, as a new file into that directory (mount a write-once location there).
``kehou audit verify`` then checks each chain against the newest checkpoint whose signature holds: a head now
behind a checkpointed seq is a truncated tail; a different hash at a checkpointed seq is a rewritten chain.

Limits: entries newer than the last checkpoint can still be cut unseen (at most an hour's worth), and whoever
holds the key file can sign anything — keep it off the database host and out of database backups.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.platform.audit.models import AuditEntry, AuditHead
from kehou.settings import Settings
from kehou.storage.base import Storage
from kehou.timeutil import as_utc, utcnow

LATEST = "audit-checkpoints/latest"
PREFIX = "audit-checkpoints/"


def key_path(settings: Settings) -> Path:
    return Path(settings.security.audit_key_file) if settings.security.audit_key_file else (
        settings.data_dir / "keys" / "audit-ed25519.pem")


def signing_key(settings: Settings, *, create: bool = True) -> Ed25519PrivateKey | None:
    """The private key from its file; made (mode 0600) when missing and ``create``; None when missing otherwise."""
    path = key_path(settings)
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Checkpoint:
    at: str  # UTC, ISO 8601
    heads: dict[str, tuple[int, str]]  # county ("" for the platform's chain) -> (last seq, last hash)
    entries: int
    key: str  # the signing key's fingerprint
    signature: str = ""

    def body(self) -> dict[str, Any]:
        return {"at": self.at, "entries": self.entries, "key": self.key,
                "heads": {c: [s, h] for c, (s, h) in sorted(self.heads.items())}}

    def to_json(self) -> bytes:
        return _canonical(self.body() | {"signature": self.signature})

    @classmethod
    def from_json(cls, data: bytes) -> Checkpoint:
        raw = json.loads(data)
        return cls(at=str(raw["at"]), heads={str(c): (int(v[0]), str(v[1])) for c, v in raw["heads"].items()},
                   entries=int(raw["entries"]), key=str(raw["key"]), signature=str(raw.get("signature", "")))

    def valid(self, public: Ed25519PublicKey) -> bool:
        try:
            public.verify(bytes.fromhex(self.signature), _canonical(self.body()))
        except (InvalidSignature, ValueError):
            return False
        return True


def take(session: Session, key: Ed25519PrivateKey, now: dt.datetime | None = None) -> Checkpoint:
    """Sign the heads as they are now."""
    heads = {h.county_code: (h.last_seq, h.last_hash) for h in session.scalars(select(AuditHead))}
    entries = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    unsigned = Checkpoint(at=as_utc(now or utcnow()).isoformat(), heads=heads, entries=entries,
                          key=fingerprint(key.public_key()))
    signature = key.sign(_canonical(unsigned.body())).hex()
    return Checkpoint(unsigned.at, unsigned.heads, unsigned.entries, unsigned.key, signature)


def publish(settings: Settings, storage: Storage, cp: Checkpoint) -> list[str]:
    """Write the checkpoint to the storage backend (a dated object and ``latest.json``) and, when configured, as a
    new file in the anchor directory (never overwriting). Returns where it went."""
    data = cp.to_json()
    stamp = cp.at.replace(":", "").replace("-", "")[:15].lower()  # 20261203t184000
    name = f"{stamp}-{hashlib.sha256(data).hexdigest()[:8]}"
    storage.put(PREFIX + name, data, "application/json")
    storage.put(LATEST, data, "application/json")
    out = [PREFIX + name, LATEST]
    if settings.security.audit_anchor_dir:
        folder = Path(settings.security.audit_anchor_dir)
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"{name}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        out.append(str(folder / f"{name}.json"))
    return out


def checkpoint(settings: Settings, session: Session, storage: Storage) -> tuple[Checkpoint, list[str]]:
    key = signing_key(settings)
    assert key is not None
    cp = take(session, key)
    return cp, publish(settings, storage, cp)


def candidates(settings: Settings, storage: Storage) -> list[bytes]:
    """Every checkpoint that can be read: the storage backend's latest and all in the anchor directory."""
    found: list[bytes] = []
    try:
        found.append(storage.get(LATEST))
    except (KeyError, FileNotFoundError):
        pass
    if settings.security.audit_anchor_dir and Path(settings.security.audit_anchor_dir).is_dir():
        found.extend(p.read_bytes() for p in sorted(Path(settings.security.audit_anchor_dir).glob("*.json")))
    return found


@dataclass(frozen=True)
class Finding:
    county_code: str
    kind: str  # truncated | rewritten | checkpoint
    seq: int | None
    detail: str

    def __str__(self) -> str:
        chain = self.county_code or "platform"
        return f"[{chain}] {self.kind} seq={self.seq} id=None: {self.detail}"


def newest_valid(settings: Settings, storage: Storage) -> tuple[Checkpoint | None, list[Finding]]:
    """The newest checkpoint whose signature holds under the key file's public key, and a finding for each that
    does not (a forged or damaged checkpoint)."""
    key = signing_key(settings, create=False)
    raw = candidates(settings, storage)
    if key is None:
        return None, ([Finding("", "checkpoint", None, f"找不到审计签名密钥 {key_path(settings)}，无法核对签名检查点")]
                      if raw else [])
    public = key.public_key()
    good: list[Checkpoint] = []
    bad: list[Finding] = []
    for data in raw:
        try:
            cp = Checkpoint.from_json(data)
        except (ValueError, KeyError, TypeError):
            bad.append(Finding("", "checkpoint", None, "签名检查点文件无法读取（已损坏）"))
            continue
        if cp.valid(public):
            good.append(cp)
        else:
            bad.append(Finding("", "checkpoint", None, f"检查点（{cp.at}）的签名无效：它不是用本平台的密钥签署的"))
    return (max(good, key=lambda c: c.at) if good else None), bad


def check(session: Session, cp: Checkpoint) -> list[Finding]:
    """The chains as they are now against a checkpoint: every checkpointed head must still be there, unchanged."""
    out: list[Finding] = []
    heads = {h.county_code: h for h in session.scalars(select(AuditHead))}
    when = cp.at[:19].replace("T", " ") + " UTC"
    for county, (seq, digest) in sorted(cp.heads.items()):
        head = heads.get(county)
        row = session.scalars(select(AuditEntry).where(AuditEntry.county_code == county, AuditEntry.seq == seq)
                              .order_by(AuditEntry.id)).first()
        if head is None or head.last_seq < seq or row is None:
            now_at = head.last_seq if head is not None else 0
            out.append(Finding(county, "truncated", seq, f"链尾被截断：{when}的签名检查点记到序号{seq}，"
                                                          f"现在链头只到序号{now_at}"))
        elif row.hash != digest:
            out.append(Finding(county, "rewritten", seq, f"序号{seq}的哈希与{when}签名检查点所记的不符（链被整体重写）"))
    return out
