"""The lakehouse file itself: damaged, busy or fine, told apart before anything is written.

A DuckDB database file (the storage format of the DuckDB in ``uv.lock``) is laid out as:

- a main header of 4096 bytes: an 8-byte checksum, then the magic ``DUCK`` at byte 8 and the
  storage version;
- two database headers of 4096 bytes each (at 4096 and 8192), each an 8-byte checksum then
  ``iteration, meta_block, free_list, block_count, block_alloc_size, vector_size,
  serialization_compatibility`` (little-endian u64); the one with the higher iteration is
  the live one;
- from byte 12288, blocks of ``block_alloc_size`` bytes (262144 by default), block ``i`` at
  ``12288 + i * block_alloc_size``, each an 8-byte checksum then its payload.

``block_count`` is *not* the file's length: a checkpoint that frees the last blocks cuts them
off the file but leaves them counted (and listed in the free list) until the next checkpoint,
and a large uncommitted write grows the file past it. What the file must hold is every block
below ``block_count`` that is not in the free list, which the live header points to (a chain of
4088-byte metadata sub-blocks, 64 to a block). A file shorter than that is truncated. Writes not
yet checkpointed sit in ``<file>.wal`` beside it and change none of this.

Nothing here opens the file read-write: the layout is read with plain reads, and DuckDB opens it
``read_only`` only, which takes a shared lock, so a writer cannot be changing it meanwhile.
"""

from __future__ import annotations

import array
import os
import re
import struct
import sys
from pathlib import Path

HEADER_SIZE = 4096
BLOCKS_START = 3 * HEADER_SIZE  # the main header and the two database headers
BLOCK_CHECKSUM_SIZE = 8
METADATA_SUBBLOCKS = 64
NO_BLOCK = (1 << 64) - 1
_U64 = (1 << 64) - 1
_ENCRYPTED_FLAG = 1

# DuckDB's own words (its error texts), matched exactly rather than by a loose word such as
# "lock", which also occurs in "block" (a corrupt file's message).
LOCK_MESSAGE = "Could not set lock on file"
READER_HINT = "you would be able to open this database in read-only mode"
NOT_DUCKDB_MESSAGE = "not a valid DuckDB database file"
SHORT_READ_MESSAGE = "Could not read enough bytes"
CORRUPT_MESSAGE = "Corrupt database file"
WAL_MESSAGES = ("Failure while replaying WAL", "Corrupt WAL file", "WAL does not match")
VERSION_MESSAGES = ("Trying to read a database file with version number", "storage version greater than")
SAME_PROCESS_MESSAGE = "different configuration"

RESTORE = "nothing was written to it; restore it from a copy or point --lakehouse at a new path"


class LakehouseError(RuntimeError):
    """The lakehouse cannot be opened or used; the message says why and what to do."""


class LakehouseFileError(LakehouseError):
    """The file is not a lakehouse DuckDB can use: ``kind`` is one of ``missing``,
    ``directory``, ``not_duckdb``, ``truncated``, ``corrupt``, ``unreadable``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class LakehouseInUseError(LakehouseError):
    """Another process holds DuckDB's lock on the file: ``pid`` (when DuckDB names it) and
    ``holder``, ``reader`` (it opened the file read-only) or ``writer``."""

    def __init__(self, message: str, pid: int | None, holder: str, text: str = "") -> None:
        super().__init__(message)
        self.pid = pid
        self.holder = holder
        self.text = text  # DuckDB's own message


# -- the lock ------------------------------------------------------------------------
def lock_path(lakehouse: Path) -> Path:
    """The run lock of ``lakehouse``, keyed on the real file: symlinks of the file and of its
    folders are resolved (a file that does not exist yet: its folder is), so every path to one
    file gets one lock, ``<real file>.lock``."""
    real = Path(lakehouse).expanduser().resolve(strict=False)
    return real.with_name(real.name + ".lock")


def is_lock_error(text: str) -> bool:
    """Whether a DuckDB error is its lock conflict (another process holds the file)."""
    return LOCK_MESSAGE in text


def in_use_error(path: Path, text: str, writing: bool, waited_s: float | None = None) -> LakehouseInUseError:
    """The one-line busy error for DuckDB's lock message ``text``: who holds the file (its PID,
    and whether it is a reader: DuckDB then adds that a read-only open would work)."""
    found = re.search(r"\(PID (\d+)\)", text)
    pid = int(found.group(1)) if found else None
    holder = "reader" if READER_HINT in text else "writer"
    role = "a reader" if holder == "reader" else ("another writer" if writing else "a writer")
    who = f" (PID {pid})" if pid else ""
    waited = f" after waiting {waited_s:.1f} s" if waited_s else ""
    if holder == "reader":
        fix = "close that reader (a dashboard or a read_only connection) or raise YTLAKE_LOCK_WAIT_S"
    else:
        fix = "wait for it to finish or use another --lakehouse"
    return LakehouseInUseError(f"lakehouse {path} is in use by {role}{who}{waited}; {fix}", pid, holder, text)


# -- the check ---------------------------------------------------------------------------
def check_lakehouse_file(path: Path) -> None:
    """Refuse a lakehouse file that is damaged or busy, without opening it read-write.

    A path where nothing exists yet passes (a new lakehouse). Raises
    :class:`LakehouseFileError` for a directory, a file that is not DuckDB, a truncated or
    corrupt DuckDB file, or one DuckDB cannot read for another reason (its WAL, its version);
    :class:`LakehouseInUseError` while another process holds DuckDB's write lock on it. A
    process that already has the file open read-write (this one) is not checked again.
    """
    import duckdb

    path = Path(path).expanduser()
    if not path.exists():  # nothing there yet (or a symlink to nothing): a new lakehouse
        return
    if path.is_dir():
        raise LakehouseFileError(
            "directory",
            f"--lakehouse {path} is a directory; give a file path such as {path}/youtube_analytics.duckdb",
        )
    _check_magic(path)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as err:
        text = str(err)
        if is_lock_error(text):
            raise in_use_error(path, text, writing=True) from None
        if isinstance(err, duckdb.ConnectionException) and SAME_PROCESS_MESSAGE in text:
            return  # this process has it open read-write: it was checked when opened
        problem = layout_problem(path)
        if problem:
            raise LakehouseFileError(
                "truncated", f"lakehouse {path} is truncated ({problem}); {RESTORE}"
            ) from None
        raise unreadable_error(path, text) from None
    try:  # DuckDB's shared lock is held: no writer is changing the file while it is read
        problem = layout_problem(path, _wal_blocks(con, path))
    finally:
        con.close()
    if problem:
        raise LakehouseFileError("truncated", f"lakehouse {path} is truncated ({problem}); {RESTORE}")


def _wal_blocks(con, path: Path) -> int | None:
    """With a WAL beside the file (writes not checkpointed, e.g. a killed run): the blocks the
    database counts once DuckDB replayed it. A large write lands its rows in the file before
    commit, past the header's ``block_count``; the WAL then needs them."""
    try:
        if os.path.getsize(f"{path}.wal") == 0:
            return None
        [(total,)] = con.execute(
            "SELECT total_blocks FROM pragma_database_size() WHERE database_name = current_database()"
        ).fetchall()
    except Exception:  # no WAL, or a DuckDB that does not say: the header alone decides
        return None
    return int(total)


def _check_magic(path: Path) -> None:
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as err:
        raise LakehouseFileError(
            "unreadable", f"lakehouse {path} cannot be read ({err.strerror}); fix its permissions"
        ) from None
    if head[8:12] != b"DUCK":
        empty = " (it is empty)" if not head else ""
        raise LakehouseFileError(
            "not_duckdb",
            f"{path} is not a DuckDB lakehouse{empty}; point --lakehouse at a DuckDB file or a new path",
        )


def unreadable_error(path: Path, text: str) -> LakehouseFileError:
    """Classify a DuckDB error (not its lock conflict) met opening or reading ``path``."""
    first = " ".join(text.split("\n\n")[0].split())
    if NOT_DUCKDB_MESSAGE in text:
        return LakehouseFileError(
            "not_duckdb",
            f"{path} is not a DuckDB lakehouse; point --lakehouse at a DuckDB file or a new path",
        )
    if SHORT_READ_MESSAGE in text:
        where = re.search(r"attempted to read \d+ bytes from location (\d+)", text)
        size = _size(path)
        detail = (
            f"{size:,} bytes; DuckDB needs bytes from {int(where.group(1)):,} on"
            if where and size is not None
            else "DuckDB could not read a block it needs"
        )
        return LakehouseFileError("truncated", f"lakehouse {path} is truncated ({detail}); {RESTORE}")
    if CORRUPT_MESSAGE in text:
        where = re.search(r"in block at location (\d+)", text)
        detail = f"a checksum fails in the block at byte {int(where.group(1)):,}" if where else first
        return LakehouseFileError("corrupt", f"lakehouse {path} is corrupt ({detail}); {RESTORE}")
    if any(m in text for m in WAL_MESSAGES):
        wal = f"{path}.wal"
        why = re.search(r'replaying WAL file "[^"]*": (.*)', first)
        return LakehouseFileError(
            "corrupt",
            f"lakehouse {path}: its write-ahead log {wal} cannot be replayed "
            f"({why.group(1).rstrip('.') if why else first}); nothing was written "
            f"to either; restore both from a copy, or move {wal} aside to open the last checkpoint "
            "(the writes after it are lost)",
        )
    if any(m in text for m in VERSION_MESSAGES):
        import duckdb

        return LakehouseFileError(
            "unreadable",
            f"lakehouse {path} was written by another DuckDB version than this one ({duckdb.__version__}); "
            "nothing was written to it; open it with the DuckDB that wrote it "
            "or point --lakehouse at a new path",
        )
    if "Permission denied" in text:
        return LakehouseFileError(
            "unreadable", f"lakehouse {path} cannot be read (permission denied); fix its permissions"
        )
    if "encrypted" in text:
        return LakehouseFileError(
            "unreadable", f"lakehouse {path} is an encrypted DuckDB file; point --lakehouse at a new path"
        )
    return LakehouseFileError("unreadable", f"lakehouse {path} cannot be read by DuckDB ({first}); {RESTORE}")


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


# -- the layout --------------------------------------------------------------------------
class _Unknown(Exception):
    """The layout cannot be told from the bytes (encrypted, or not as this module knows it)."""


class _Short(Exception):
    def __init__(self, needed: int) -> None:
        self.needed = needed


def layout_problem(path: Path, wal_blocks: int | None = None) -> str | None:
    """Why ``path`` is shorter than its DuckDB layout needs (``"N bytes; its blocks need M"``),
    or None when it is long enough or the layout cannot be told (DuckDB then has its say).
    ``wal_blocks``: the blocks DuckDB counts after replaying the WAL, when there is one."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            needed = required_size(f, size, wal_blocks)
    except _Short as short:
        needed = short.needed
    except (_Unknown, OSError):
        return None
    if size < needed:
        return f"{size:,} bytes; its blocks need {needed:,}"
    return None


def required_size(f, size: int, wal_blocks: int | None = None) -> int:
    """The bytes a DuckDB file must hold: its headers and every block it uses (not free), and
    with ``wal_blocks`` every block the replayed WAL counts past the header's.
    Raises ``_Short`` when a block needed to tell lies past the end, ``_Unknown`` when the
    bytes are not a layout this function knows (DuckDB's own open then decides)."""
    f.seek(0)
    head = f.read(BLOCKS_START)
    if head[8:12] != b"DUCK":
        raise _Unknown  # not DuckDB at all: nothing to measure
    if size < BLOCKS_START or len(head) < BLOCKS_START:
        raise _Short(BLOCKS_START)
    flags = struct.unpack_from("<Q", head, 20)[0]
    if flags & _ENCRYPTED_FLAG:
        raise _Unknown  # the database headers and blocks are encrypted
    live = None
    for offset in (HEADER_SIZE, 2 * HEADER_SIZE):
        stored = struct.unpack_from("<Q", head, offset)[0]
        if _checksum(head[offset + 8 : offset + HEADER_SIZE]) != stored:
            raise _Unknown  # DuckDB reports the corrupt header itself
        iteration, _meta, free_list, block_count, alloc = struct.unpack_from("<5Q", head, offset + 8)
        if live is None or iteration > live[0]:
            live = (iteration, free_list, block_count, alloc)
    assert live is not None
    _, free_list, block_count, alloc = live
    if alloc < 4096 or alloc & (alloc - 1) or alloc > (1 << 30) or block_count > (1 << 40):
        raise _Unknown
    free = _free_blocks(f, size, free_list, block_count, alloc) if free_list != NO_BLOCK else set()
    last = block_count - 1
    while last >= 0 and last in free:
        last -= 1
    if wal_blocks and wal_blocks > block_count:
        last = wal_blocks - 1
    return BLOCKS_START + (last + 1) * alloc


def _free_blocks(f, size: int, pointer: int, block_count: int, alloc: int) -> set[int]:
    """The free list the live header points to (a chain of metadata sub-blocks)."""
    sub = (alloc - BLOCK_CHECKSUM_SIZE) // METADATA_SUBBLOCKS // 8 * 8
    blocks: dict[int, bytes] = {}

    def subblock(ptr: int) -> bytes:
        block_id, index = ptr & ((1 << 56) - 1), ptr >> 56
        if block_id >= block_count or index >= METADATA_SUBBLOCKS:
            raise _Unknown
        if block_id not in blocks:
            start = BLOCKS_START + block_id * alloc
            if start + alloc > size:
                raise _Short(start + alloc)
            f.seek(start)
            raw = f.read(alloc)
            if _checksum(raw[BLOCK_CHECKSUM_SIZE:]) != struct.unpack_from("<Q", raw, 0)[0]:
                raise _Unknown  # DuckDB reports the corrupt block itself
            blocks[block_id] = raw[BLOCK_CHECKSUM_SIZE:]
        data = blocks[block_id][index * sub : (index + 1) * sub]
        return data

    def stream():
        ptr, seen = pointer, set()
        while ptr != NO_BLOCK:
            if ptr in seen or len(seen) > block_count * METADATA_SUBBLOCKS:
                raise _Unknown
            seen.add(ptr)
            data = subblock(ptr)
            yield data[8:]
            ptr = struct.unpack_from("<Q", data, 0)[0]

    reader = _ChainReader(stream())
    count = reader.u64()
    if count > block_count:
        raise _Unknown
    free: set[int] = set()
    previous = -1
    for _ in range(count):
        block = reader.u64()
        if block <= previous:  # written from an ordered set
            raise _Unknown
        previous = block
        free.add(block)
    return free


class _ChainReader:
    """Reads little-endian values across a chain of metadata sub-blocks (a value may straddle
    two, as DuckDB's metadata writer splits it)."""

    def __init__(self, chunks) -> None:
        self.chunks = chunks
        self.buffer = b""

    def u64(self) -> int:
        while len(self.buffer) < 8:
            try:
                self.buffer += next(self.chunks)
            except StopIteration:
                raise _Unknown from None
        value = struct.unpack_from("<Q", self.buffer, 0)[0]
        self.buffer = self.buffer[8:]
        return value


def _checksum(payload: bytes) -> int:
    """DuckDB's block checksum: 5381 xor-folded with each u64 times 0xbf58476d1ce4e5b9."""
    words = array.array("Q")
    whole = len(payload) // 8 * 8
    words.frombytes(payload[:whole])
    if sys.byteorder != "little":
        words.byteswap()
    result = 5381
    for word in words:
        result ^= (word * 0xBF58476D1CE4E5B9) & _U64
    if whole != len(payload):
        raise _Unknown  # headers and blocks are whole words
    return result


def lock_wait_s_from_env(default: float = 600.0) -> float:
    """``YTLAKE_LOCK_WAIT_S``: how long a writer waits for readers to let go (default 600)."""
    raw = os.environ.get("YTLAKE_LOCK_WAIT_S", "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise LakehouseError(f"YTLAKE_LOCK_WAIT_S must be a number of seconds >= 0 (got {raw!r})")
    return value
