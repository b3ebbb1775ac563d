"""Backups (`python -m kontrol_app.manage backup [PATH]`, `restore PATH [--force]`): a round trip
while the app writes, on SQLite and on PostgreSQL; a shop is never overwritten without --force;
what is not a Kontrol backup is refused; an older backup is migrated up on restore."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from PIL import Image
from sqlmodel import Session, select

from kontrol_app import backup, db
from kontrol_app.backup import making
from kontrol_app.manage import alembic_config
from kontrol_app.models import Customer, Job, OutboxEmail, Shop, StoredFile
from kontrol_app.services import mockups, portal_links, staff
from kontrol_app.services import shop as shop_service
from kontrol_app.settings import get_settings
from tests.conftest import BACKENDS, _admin, _postgres_url
from tests.factories import OWNER_EMAIL, OWNER_PASSWORD, make_customer, make_job
from tests.helpers.artwork import upload

ROOT = Path(__file__).resolve().parents[2]
PG_TOOLS = all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql"))
BOTH = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(
        "postgresql" not in BACKENDS or not PG_TOOLS,
        reason="needs PostgreSQL answering on 127.0.0.1 and pg_dump, pg_restore and psql on PATH",
    )),
]
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def png(seed: int) -> bytes:
    """A small PNG whose bytes differ for every seed."""
    image = Image.new("RGB", (40, 30), (seed % 251, (seed // 251) % 251, 90))
    image.putpixel((seed % 40, 0), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def one_round(session: Session, owner, number: int, *, logo: bool = True) -> None:
    """What the app writes in a busy minute: a customer, a job whose new mockup is sent for
    approval (files, and emails to the client), and with `logo` a new shop logo (the old one's
    file goes)."""
    customer_id = make_customer(session, owner, f"Customer {number}", f"client{number}@example.com")
    job_id = make_job(session, owner, customer_id, f"Job {number}", path=["artwork"])
    version = upload(session, owner, job_id, png(number), name=f"art-{number}.png")
    mockups.send_for_approval(session, owner, version.id, message="Here is your artwork.")
    session.commit()
    if logo:
        shop_service.save_logo(session, owner, png(100_000 + number))
        session.commit()


class Writer(threading.Thread):
    """The app at work in another thread, round after round, until stopped. A round replaces
    the shop's logo (removing a stored file) only when the test asks for one: removals at full
    speed could outrun every one of the backup's snapshot tries, which a real shop never does."""

    def __init__(self, owner, first: int) -> None:
        super().__init__(daemon=True)
        self.owner, self.number = owner, first
        self.rounds = self.logo_rounds = self.logos_wanted = 0
        self.error: BaseException | None = None
        self.stopping = threading.Event()
        self.changed = threading.Condition()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                with self.changed:
                    logo = self.logos_wanted > 0
                    self.logos_wanted -= logo
                with Session(db.get_engine(), expire_on_commit=False) as session:
                    one_round(session, self.owner, self.number, logo=logo)
                self.number += 1
                with self.changed:
                    self.rounds += 1
                    self.logo_rounds += logo
                    self.changed.notify_all()
        except BaseException as error:  # reported by the test
            self.error = error
            with self.changed:
                self.changed.notify_all()

    def wait_for_more(self, *, logo: bool = False) -> None:
        """Block until one more round was committed (with `logo`, one that replaced the logo)."""
        with self.changed:
            count = (lambda: self.logo_rounds) if logo else (lambda: self.rounds)
            goal = count() + 1
            self.logos_wanted += logo
            assert self.changed.wait_for(lambda: count() >= goal or self.error is not None, timeout=120)
        assert self.error is None, self.error

    def stop(self) -> None:
        self.stopping.set()
        self.join(120)
        assert not self.is_alive()
        assert self.error is None, self.error


def state(session: Session) -> dict[str, dict]:
    """What must survive, by id, in fields that never change once written."""
    session.expire_all()
    return {
        "customers": {c.id: c.name for c in session.exec(select(Customer))},
        "jobs": {j.id: (j.title, j.customer_id) for j in session.exec(select(Job))},
        "files": {f.id: (f.kind, f.sha256, f.size) for f in session.exec(select(StoredFile))},
        "emails": {e.id: (e.kind, e.to_email, e.subject) for e in session.exec(select(OutboxEmail))},
    }


def revision(url: str) -> str | None:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """The command as people run it; the test's environment (DATABASE_URL, KONTROL_DATA_DIR)."""
    return subprocess.run(
        [sys.executable, "-m", "kontrol_app.manage", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


def use(url: str, data_dir: Path, monkeypatch) -> None:
    """Point Kontrol at another database and data dir (as a restore on a new machine would)."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("KONTROL_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    db.reset_engine()


@pytest.fixture
def empty_target(database, tmp_path):
    """An empty database of the same kind as the test's, for a restore; yields its URL."""
    name = None
    if database.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'restored' / 'kontrol.db'}"
    else:
        name = f"kontrol_restore_{uuid.uuid4().hex[:12]}"
        _admin(f'CREATE DATABASE "{name}"')
        url = _postgres_url(name)
    yield url
    db.reset_engine()
    if name:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def shop_names(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            return {c.name for c in session.exec(select(Customer))}
    finally:
        engine.dispose()


# --- the round trip ---------------------------------------------------------------------------


@pytest.mark.parametrize("database", BOTH, indirect=True)
def test_a_backup_taken_while_the_app_writes_restores_every_customer_job_file_and_email(
    database, session, owner, tmp_path, monkeypatch, empty_target
):
    one_round(session, owner, 0)
    first_customer = session.exec(select(Customer)).first()
    link = portal_links.portal_path(first_customer)
    before = state(session)

    writer = Writer(owner, first=1)
    snapshots = []
    real_snapshot = making._snapshot

    @contextlib.contextmanager
    def snapshot_while_the_app_writes(*args):
        # The app commits after the files were copied and before the snapshot, then again
        # before the files the snapshot names are looked for: its new logo replaces the one
        # the snapshot holds, whose file is gone by then, so a second snapshot is needed.
        snapshots.append(1)
        if len(snapshots) == 1:
            writer.wait_for_more(logo=True)
        with real_snapshot(*args) as snapshot:
            if len(snapshots) == 1:
                writer.wait_for_more(logo=True)
            yield snapshot

    monkeypatch.setattr(making, "_snapshot", snapshot_while_the_app_writes)
    writer.start()
    try:
        result = backup.backup(tmp_path / "shop.tar.gz")
        writer.wait_for_more()
    finally:
        writer.stop()
    written = state(session)
    assert len(snapshots) >= 2
    assert len(written["customers"]) >= len(before["customers"]) + 3  # the app kept writing throughout
    assert result.path == tmp_path / "shop.tar.gz" and result.path.stat().st_mode & 0o777 == 0o600
    manifest = result.manifest
    assert manifest["format"] == "kontrol-backup" and manifest["schema_revision"] == HEAD
    assert manifest["database"] == database.split(":")[0].split("+")[0]
    assert "Backup written to" in result.summary() and f"{manifest['counts']['customers']} customers" in result.summary()

    # A new machine: an empty database and data dir.
    session.close()
    use(empty_target, tmp_path / "restored-data", monkeypatch)
    backup.restore(result.path)
    assert revision(empty_target) == HEAD

    with Session(db.get_engine()) as restored_session:
        restored = state(restored_session)
        for table in ("customers", "jobs", "emails"):
            # Everything there before the backup began, whatever came during it, nothing else.
            assert before[table].items() <= restored[table].items(), table
            assert restored[table].items() <= written[table].items(), table
        mockup_files = {i: f for i, f in restored["files"].items() if f[0] != "logo"}
        assert {i: f for i, f in before["files"].items() if f[0] != "logo"}.items() <= mockup_files.items()
        assert mockup_files.items() <= written["files"].items()
        assert {k: len(v) for k, v in restored.items()} == manifest["counts"]
        assert len(restored["emails"]) >= len(before["customers"])  # each round emails its client

        # Every stored file is there, byte for byte, and nothing else.
        files_dir = get_settings().files_dir
        for kind, sha256, size in restored["files"].values():
            data = (files_dir / sha256[:2] / sha256).read_bytes()
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (sha256, size), kind
        on_disk = {p.name for p in files_dir.rglob("*") if p.is_file()}
        assert on_disk == {sha256 for _kind, sha256, _size in restored["files"].values()}
        shop = restored_session.exec(select(Shop)).one()
        assert restored_session.get(StoredFile, shop.logo_file_id) is not None

        # The shop opens: the owner signs in, the client's portal link is the same link.
        ticket = staff.sign_in(restored_session, email=OWNER_EMAIL, password=OWNER_PASSWORD)
        assert staff.principal_for_token(restored_session, staff.redeem_ticket(restored_session, ticket)) is not None
        customer = portal_links.customer_for_link(restored_session, link.rsplit("/", 1)[-1])
        assert customer is not None and customer.id == first_customer.id
        assert portal_links.portal_path(customer) == link
        restored_session.commit()

        # And it goes on working: new rows get new ids.
        principal = staff.StaffPrincipal(owner.id, owner.name, owner.email, owner.role)
        one_round(restored_session, principal, 999)
        assert "Customer 999" in state(restored_session)["customers"].values()


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("database", BOTH, indirect=True)
def test_restore_refuses_a_database_with_a_shop_unless_forced(database, session, owner, tmp_path):
    make_customer(session, owner, "Before Backup")
    done = cli("backup", cwd=tmp_path)  # the default name, in the current folder
    assert done.returncode == 0, done.stderr
    [archive] = tmp_path.glob("kontrol-backup-*.tar.gz")
    assert f"Backup written to {archive}" in done.stdout and "1 customer, 0 jobs" in done.stdout

    make_customer(session, owner, "After Backup")
    session.close()
    db.reset_engine()  # the app is stopped

    done = cli("restore", str(archive), cwd=tmp_path)
    assert done.returncode == 1
    assert "already holds the shop “Test Print Co.”" in done.stderr and "--force" in done.stderr
    assert "Nothing was changed." in done.stderr
    assert shop_names(database) == {"Before Backup", "After Backup"}

    done = cli("restore", str(archive), "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Restored the backup" in done.stdout and "1 customer, 0 jobs" in done.stdout
    assert shop_names(database) == {"Before Backup"}
    assert revision(database) == HEAD


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_file_that_is_not_a_backup_is_refused(database, session, owner, tmp_path):
    make_customer(session, owner, "Kept")
    session.close()
    db.reset_engine()

    text_file = tmp_path / "notes.txt"
    text_file.write_text("not an archive")
    done = cli("restore", str(text_file), "--force", cwd=tmp_path)
    assert done.returncode == 1
    assert f"{text_file} is not a Kontrol backup (not a .tar.gz archive). Nothing was changed." in done.stderr

    def archive_of(path: Path, members: dict[str, bytes]) -> Path:
        with tarfile.open(path, "w:gz") as archive:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        return path

    other = archive_of(tmp_path / "photos.tar.gz", {"holiday/beach.jpg": b"\xff\xd8\xff"})
    with pytest.raises(backup.BackupError, match=r"is not a Kontrol backup \(it holds 'holiday/beach.jpg'\)"):
        backup.restore(other, force=True)
    no_manifest = archive_of(tmp_path / "fake.tar.gz", {"kontrol-backup/database.sqlite3": b"x"})
    with pytest.raises(backup.BackupError, match="is not a Kontrol backup \\(it has no Kontrol manifest\\)"):
        backup.restore(no_manifest, force=True)

    real = backup.backup(tmp_path / "real.tar.gz").path
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(real.read_bytes()[: real.stat().st_size // 2])
    with pytest.raises(backup.BackupError, match="damaged or incomplete"):
        backup.restore(cut, force=True)
    with pytest.raises(backup.BackupError, match="does not exist"):
        backup.restore(tmp_path / "missing.tar.gz", force=True)

    # A blob whose bytes do not match its name.
    with tarfile.open(real) as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive if m.isfile()}
    members["kontrol-backup/files/ab/" + "ab" * 32] = b"changed"
    manifest = json.loads(members.pop("kontrol-backup/manifest.json"))
    manifest["blobs"] += 1
    members["kontrol-backup/manifest.json"] = json.dumps(manifest).encode()
    tampered = archive_of(tmp_path / "tampered.tar.gz", members)
    with pytest.raises(backup.BackupError, match="damaged: the stored file abab.* does not match its SHA-256"):
        backup.restore(tampered, force=True)

    # A backup from a newer Kontrol, whose schema this one cannot migrate.
    del members["kontrol-backup/files/ab/" + "ab" * 32]
    manifest.update(blobs=manifest["blobs"] - 1, schema_revision="f00dfeedf00d")
    members["kontrol-backup/manifest.json"] = json.dumps(manifest).encode()
    newer = archive_of(tmp_path / "newer.tar.gz", members)
    with pytest.raises(backup.BackupError, match=r"schema \(f00dfeedf00d\) is newer than this Kontrol knows"):
        backup.restore(newer, force=True)

    assert shop_names(database) == {"Kept"}


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_running_app_keeps_its_sqlite_database_and_files(database, session, owner, tmp_path):
    make_customer(session, owner, "Kept")
    shop_service.save_logo(session, owner, png(1))
    session.commit()
    archive = backup.backup(tmp_path / "b.tar.gz").path
    shop_service.save_logo(session, owner, png(2))  # the backed-up logo's file is gone
    session.commit()
    files_dir = get_settings().files_dir
    files_before = sorted(p for p in files_dir.rglob("*") if p.is_file())

    session.exec(select(Customer)).all()  # the session holds its connection, as a running app does
    with pytest.raises(backup.BackupError, match="is in use: stop Kontrol"):
        backup.restore(archive, force=True)
    assert {c.name for c in session.exec(select(Customer))} == {"Kept"}
    assert sorted(p for p in files_dir.rglob("*") if p.is_file()) == files_before


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_signing_secret_from_the_environment_is_named_not_stored(database, session, owner, tmp_path, monkeypatch):
    monkeypatch.setenv("KONTROL_SECRET_KEY", "the-shop-secret-from-the-environment")
    get_settings.cache_clear()
    result = backup.backup(tmp_path / "b.tar.gz")
    assert result.manifest["secret_key"] == "environment"
    assert "KONTROL_SECRET_KEY comes from the environment" in result.summary()
    with tarfile.open(result.path) as archive:
        assert "kontrol-backup/secret_key" not in archive.getnames()

    session.close()
    monkeypatch.delenv("KONTROL_SECRET_KEY")
    use(f"sqlite:///{tmp_path / 'new' / 'kontrol.db'}", tmp_path / "new", monkeypatch)
    restored = backup.restore(result.path)
    assert "Set the same value here" in restored.summary()


@pytest.mark.parametrize("database", BOTH[1:], indirect=True)
def test_without_pg_dump_the_backup_says_so_and_writes_nothing(database, owner, tmp_path):
    empty = tmp_path / "no-tools"
    empty.mkdir()
    done = cli("backup", str(tmp_path / "b.tar.gz"), cwd=tmp_path, PATH=str(empty))
    assert done.returncode == 1
    assert "pg_dump was not found on PATH" in done.stderr and "Nothing was written." in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-tools"]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.skipif("postgresql" not in BACKENDS or not PG_TOOLS, reason="needs PostgreSQL answering on 127.0.0.1")
def test_a_backup_of_one_kind_is_not_restored_into_the_other(database, session, owner, tmp_path, monkeypatch):
    archive = backup.backup(tmp_path / "b.tar.gz").path
    name = f"kontrol_restore_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        use(_postgres_url(name), tmp_path / "pg-data", monkeypatch)
        with pytest.raises(backup.BackupError, match="holds a SQLite database, and DATABASE_URL points to PostgreSQL"):
            backup.restore(archive)
    finally:
        db.reset_engine()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_older_backup_is_migrated_up_on_restore(tmp_path, monkeypatch):
    scripts = ScriptDirectory.from_config(alembic_config())
    older = scripts.get_revision(scripts.get_revision(HEAD).down_revision).down_revision
    old_url = f"sqlite:///{tmp_path / 'old' / 'kontrol.db'}"
    (tmp_path / "old").mkdir()
    command.upgrade(alembic_config(old_url), older)
    with sqlite3.connect(tmp_path / "old" / "kontrol.db") as connection:
        connection.execute("INSERT INTO shop (id, name, email, phone, address, currency, timezone, created_at, updated_at) "
                           "VALUES (1, 'Old Shop', '', '', '', 'USD', 'UTC', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    use(old_url, tmp_path / "old-data", monkeypatch)
    result = backup.backup(tmp_path / "old.tar.gz")
    assert result.manifest["schema_revision"] == older

    new_url = f"sqlite:///{tmp_path / 'new' / 'kontrol.db'}"
    use(new_url, tmp_path / "new", monkeypatch)
    backup.restore(result.path)
    assert revision(new_url) == HEAD
    with Session(db.get_engine()) as session:
        assert session.exec(select(Shop)).one().name == "Old Shop"
    db.reset_engine()
    get_settings.cache_clear()
