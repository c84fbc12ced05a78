"""What the loader knows about a landing file before parsing it: checksums, line layout, whether
it is compressed, ends with a newline or holds control characters, and the export time its name
carries. One streamed pass over the bytes (decompressed for ``.gz``), no per-line Python loop."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from dagster_project.lib.landing.errors import LandingContractError

CHUNK_BYTES = 1 << 20
COMPRESSED_SUFFIXES = {".gz": "gzip"}
# Control characters a text value may not hold: all C0 controls but tab, LF and CR, and DEL.
# (PostgreSQL refuses NUL in text, so one NUL would roll back the whole publish.)
CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
CONTROL_REGEX = "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]"
# `<object>_<YYYYMMDDTHHMMSSZ>_<full|delta>.<ext>`: the export time, where the name carries one
EXPORT_STAMP = re.compile(r"(?:^|[_.-])(\d{8}T\d{6}Z)(?=[_.-]|$)")


@dataclass(frozen=True)
class FileFingerprint:
    """A file's identity plus the layout facts the readers need (all of the decompressed
    content for a compressed file, except ``sha256`` and ``size_bytes``, which are the file's
    own bytes: what the landing sensor compares)."""

    sha256: str  # of the file as it lies on disk
    size_bytes: int  # on disk
    physical_lines: int  # newline-terminated lines, plus an unterminated last line
    newline_bytes: int  # 2 when every line ends in CRLF, else 1 (LF, or LF with some CRLF)
    bom_bytes: int  # 3 when the content starts with a UTF-8 byte-order mark
    content_sha256: str = ""  # of the decompressed content (= sha256 for a plain file)
    content_bytes: int = 0
    compression: str | None = None  # 'gzip' or None
    ends_with_newline: bool = True  # (an empty file counts as ending with one)
    has_control: bool = False  # a control byte other than tab / LF / CR somewhere
    # byte offsets of the CRLF pairs when a file mixes LF and CRLF (e.g. Salesforce text areas
    # with CRLF inside quoted values, records ending in LF); None when the endings are uniform
    crlf_offsets: tuple[int, ...] | None = None

    @property
    def is_blank(self) -> bool:
        """No content at all, or only a byte-order mark."""
        return self.content_bytes <= self.bom_bytes


def compression_of(path: Path) -> str | None:
    return COMPRESSED_SUFFIXES.get(Path(path).suffix.lower())


def open_content(path: Path) -> IO[bytes]:
    """The file's (decompressed) content as a binary stream."""
    if compression_of(path) == "gzip":
        return gzip.open(path, "rb")
    return Path(path).open("rb")


def open_text(path: Path) -> IO[str]:
    """The file's (decompressed) content as text, BOM dropped, newlines untranslated."""
    return io.TextIOWrapper(open_content(path), encoding="utf-8-sig", newline="")


def export_time(name: str) -> datetime | None:
    """The export time in a landing file name (``leads_20261031T020000Z_full.csv``), or None."""
    match = EXPORT_STAMP.search(Path(name).name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def export_seq(name: str) -> int | None:
    """``_source_seq`` of a file named with its export time: the time in epoch seconds, so the
    latest *export* wins, whenever a copy of it arrives. None: no time in the name."""
    stamp = export_time(name)
    return int(stamp.timestamp()) if stamp else None


def _crlf_offsets(path: Path, chunk_size: int) -> list[int]:
    """Byte offsets (of the CR) of every CRLF in the content."""
    out: list[int] = []
    size, last = 0, b""
    with open_content(path) as fh:
        while chunk := fh.read(chunk_size):
            if last == b"\r" and chunk[:1] == b"\n":
                out.append(size - 1)
            out.extend(size + m.start() for m in re.finditer(b"\r\n", chunk))
            size += len(chunk)
            last = chunk[-1:]
    return out


def _file_sha256(path: Path, chunk_size: int) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint_file(path: Path, chunk_size: int = CHUNK_BYTES) -> FileFingerprint:
    """Checksums, size and line layout of a landing file, in one pass over its content.

    The line count is an independent check that DuckDB's line reader saw every physical line;
    newline width, BOM and (for mixed endings) the CRLF offsets give each line's byte offset.
    A compressed file is measured on its decompressed content (one more pass over the
    compressed bytes for the file's own checksum); a cut-off gzip stream is refused.
    """
    path = Path(path)
    compression = compression_of(path)
    digest = hashlib.sha256()
    size = newlines = crlf = crs = 0
    control = False
    first = last = b""
    crlf_at: list[int] = []
    try:
        with open_content(path) as fh:
            while chunk := fh.read(chunk_size):
                digest.update(chunk)
                if size < 3:
                    first = (first + chunk)[:3]
                joined = last == b"\r" and chunk[:1] == b"\n"  # a CRLF split by the chunking
                if cr := chunk.count(b"\r"):  # (LF files skip the slower pair count)
                    crs += cr
                    crlf += chunk.count(b"\r\n")
                crlf += joined
                if not control and len(chunk.translate(None, CONTROL_BYTES)) != len(chunk):
                    control = True
                size += len(chunk)
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise LandingContractError(
            f"{path}: the gzip stream is broken or cut off ({exc}): a transfer that stopped? "
            "Nothing is loaded from it"
        ) from exc
    if crs != crlf:
        raise LandingContractError(
            f"{path}: {crs - crlf} bare carriage return(s) (CR without LF); the loader reads LF "
            "or CRLF line endings: convert the file"
        )
    lines = newlines + (1 if size and last != b"\n" else 0)
    newline_bytes = 2 if crlf and crlf == newlines else 1
    mixed = bool(crlf) and crlf != newlines
    if mixed:  # a second pass, for the few files that mix LF and CRLF
        crlf_at = _crlf_offsets(path, chunk_size)
    bom = 3 if first == b"\xef\xbb\xbf" else 0
    content_sha = digest.hexdigest()
    return FileFingerprint(
        sha256=_file_sha256(path, chunk_size) if compression else content_sha,
        size_bytes=path.stat().st_size,
        physical_lines=lines,
        newline_bytes=newline_bytes,
        bom_bytes=bom,
        content_sha256=content_sha,
        content_bytes=size,
        compression=compression,
        ends_with_newline=not size or last == b"\n",
        has_control=control,
        crlf_offsets=tuple(crlf_at) if mixed else None,
    )
