"""Compiled kernels on disk, loaded only after they are verified.

:meth:`KernelStore.save` links a kernel's position-independent object code (emitted by LLVM
for this CPU) with the system C compiler into ``<name>.so`` in ``<root>/kernels-<key>``, and
records its SHA-256 digest, size and symbol in ``<name>.json``. :meth:`KernelStore.load` opens
it in a later process with ``ctypes`` (``dlopen``): neither Numba nor llvmlite is imported.

Security model
--------------
``dlopen`` runs a library's constructors, so loading a file is running it: a damaged library
crashes the process (SIGBUS when truncated, SIGILL with flipped bytes), a planted one runs its
author's code. So the store loads nothing it has not verified, and heals itself:

* Private directory, checked before every load. The root and the key directory (and any
  missing ancestor) are created 0o700 whatever the umask; every call of
  :meth:`~KernelStore.directory` checks with ``os.lstat`` that both are real directories (no
  symbolic link or junction) owned by this user with no group or other permission bits. One of
  another user makes the store unusable; one of ours that others could write (made under umask
  000, or ``chmod 777``) may hold planted files, so it is made private and the key directory
  emptied. There is no shared fallback such as ``$TMPDIR/dualdiff-<uid>``, which another local
  user could create first.
* Digests recorded at store time, from the bytes the linker produced. A load reads the whole
  library (a regular file of ours that no one else may write), compares size and SHA-256 with a
  record that must name the same kernel, and only then calls ``dlopen``. A missing, truncated,
  altered or swapped file, a library ``dlopen`` refuses or one without its symbol is deleted
  with its record, and the caller rebuilds.
* Atomic writes: a library is linked in a private temporary directory inside the key directory
  and moved into place with ``os.replace``, then its record likewise; a concurrent reader sees
  a whole file or none, and a mismatched pair only fails verification.

Trusted: the C compiler (``$CC`` or the first of cc, gcc, clang on ``PATH``), this user's files,
and whoever runs as this user or root, who could change the process anyway. The digest is no
signature: it catches damage and mix-ups; privacy keeps others out. A window remains between the
digest check and ``dlopen`` opening the path again; it is closed only by the directory being
private to the user: no one else can replace a file in it, nor (as long as the directories above
the root are not writable by others, which holds for a home directory) move it away.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import shlex
import shutil
import stat
import sys
import threading
import time

_log = logging.getLogger("dualdiff.kernels.store")
_WINDOWS = os.name == "nt"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
_RECORD_CAP, _LIBRARY_CAP = 4096, 256 << 20  # bytes
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_SYMBOL_CHARS = _NAME_CHARS.union("$@") - {"-"}
_HEX = frozenset("0123456789abcdef")
# The helpers Numba-compiled code calls on its error path, which a process that has not
# imported Numba lacks, so every kernel library carries its own. The GIL pair is what
# Numba's own helpers do. The others build and raise a Python exception from a compiled one:
# kernels compute with error_model="numpy" and raise none, but LLVM does not always remove
# the cfunc wrapper's generic raising code (Numba < 0.62 keeps it in most kernels), and an
# unresolved symbol makes dlopen refuse the whole library. Here they report "no exception
# object" (NULL), on which the wrapper's path ends without raising.
_GIL_C = """\
extern int PyGILState_Ensure(void);
extern void PyGILState_Release(int);
void numba_gil_ensure(int *s) { *s = PyGILState_Ensure(); }
void numba_gil_release(int *s) { PyGILState_Release(*s); }
void *numba_unpickle(const char *d, int n, const char *h) { (void)d; (void)n; (void)h; return 0; }
void *numba_runtime_build_excinfo_struct(void *a, void *b) { (void)a; (void)b; return 0; }
void numba_do_raise(void *e) { (void)e; }
void NRT_Free(void *p) { (void)p; }
"""
_LOCK = threading.RLock()
_STARTED: set = set()  # key directories this process has stamped (and pruned around)
_LIBRARIES: list = []  # every library opened: never unloaded, its code may be running
_MAPPED: dict = {}  # path -> digest of the library dlopen mapped (and will return) for it


class _Reject(Exception):
    """A file or directory that must not be used; the message says why."""


def _uid() -> int:
    """The user who must own the store: the effective uid (a seam for tests)."""
    return os.geteuid()


def _home() -> str | None:
    try:
        home = os.path.expanduser("~")
    except Exception:  # noqa: BLE001 - e.g. no HOME and no passwd entry
        return None
    return home if home != "~" and os.path.isabs(home) else None


def default_root() -> str | None:
    """The per-user directory holding the ``kernels-*`` directories.

    Returns
    -------
    str or None
        ``$DUALDIFF_CACHE_DIR`` if set and non-empty; else ``$XDG_CACHE_HOME/dualdiff`` (when
        that is an absolute path) or ``~/.cache/dualdiff`` on Linux and other POSIX systems,
        ``~/Library/Caches/dualdiff`` on macOS, ``%LOCALAPPDATA%\\dualdiff\\Cache`` on Windows.
        None when no home directory can be resolved: never a shared temporary directory.
    """
    if os.environ.get("DUALDIFF_CACHE_DIR"):
        return os.path.abspath(os.path.expanduser(os.environ["DUALDIFF_CACHE_DIR"]))
    if _WINDOWS:
        base = os.environ.get("LOCALAPPDATA", "")
        if not os.path.isabs(base):
            base = _home() and os.path.join(_home(), "AppData", "Local")
        return base and os.path.join(base, "dualdiff", "Cache")
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if sys.platform != "darwin" and os.path.isabs(xdg):
        return os.path.join(xdg, "dualdiff")
    home, parts = _home(), ("Library", "Caches") if sys.platform == "darwin" else (".cache",)
    return home and os.path.join(home, *parts, "dualdiff")


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not 0 < len(name) <= 200 or not _NAME_CHARS >= set(name):
        raise ValueError(f"kernel names are 1 to 200 of [A-Za-z0-9_.-], not {name!r}")


def _is_symbol(s) -> bool:
    return (
        isinstance(s, str) and 0 < len(s) <= 1024 and _SYMBOL_CHARS >= set(s) and not s[0].isdigit()
    )


def _link_like(st) -> bool:
    """A symbolic link, or on Windows any reparse point (junctions included)."""
    attributes = getattr(st, "st_file_attributes", 0)
    return stat.S_ISLNK(st.st_mode) or bool(attributes & stat.FILE_ATTRIBUTE_REPARSE_POINT)


def _ours(st) -> bool:
    """A real directory of this user (on Windows, any real directory)."""
    return stat.S_ISDIR(st.st_mode) and not _link_like(st) and (_WINDOWS or st.st_uid == _uid())


def _entries(path: str) -> list:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


def _remove(path: str) -> None:
    try:
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode) and not _link_like(st):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


def _tree_bytes(path: str) -> int:
    total = 0
    for top, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(top, f)).st_size
            except OSError:
                pass
    return total


def _read_private(path: str, cap: int) -> bytes:
    """The bytes (at most ``cap`` + 1) of ``path``, a regular file of ours that no one else may
    write. FileNotFoundError when it is missing, :class:`_Reject` when it is unfit."""
    st = os.lstat(path)
    if _link_like(st) or not stat.S_ISREG(st.st_mode):
        raise _Reject(f"{path} is not a regular file")
    if not _WINDOWS and (st.st_uid != _uid() or st.st_mode & 0o022):
        raise _Reject(f"{path} is owned by uid {st.st_uid} with mode {st.st_mode & 0o777:o}")
    if st.st_size > cap:
        raise _Reject(f"{path} is larger than {cap} bytes")
    with open(os.open(path, os.O_RDONLY | _NOFOLLOW), "rb") as f:
        now = os.fstat(f.fileno())
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise _Reject(f"{path} was replaced while it was opened")
        return f.read(cap + 1)


def _record(path: str, name: str) -> dict:
    """The record of kernel ``name`` in ``path``, checked (see :meth:`KernelStore.save`)."""
    try:
        r = json.loads(_read_private(path, _RECORD_CAP).decode("utf-8"))
    except ValueError as exc:
        raise _Reject(f"{path} is no record: {exc}") from None
    if not (
        isinstance(r, dict)
        and r.get("format") == 1
        and r.get("name") == name
        and _is_symbol(r.get("symbol"))
        and isinstance(r.get("sha256"), str)
        and len(r["sha256"]) == 64
        and _HEX >= set(r["sha256"])
        and type(r.get("size")) is int
        and 0 < r["size"] <= _LIBRARY_CAP
    ):
        raise _Reject(f"{path} is not the record of kernel {name!r}")
    return r


def _compiler() -> tuple:
    """``(command, None)``: ``$CC``, else the first of cc, gcc, clang; or ``(None, why)``."""
    env = os.environ.get("CC", "").strip()
    if not env:
        found = next(filter(None, map(shutil.which, ("cc", "gcc", "clang"))), None)
        why = "no C compiler found ($CC is unset and none of cc, gcc, clang is on PATH)"
        return ([found], None) if found else (None, why)
    try:
        cmd = shlex.split(env)
    except ValueError as exc:
        return None, f"$CC={env!r} cannot be parsed: {exc}"
    found = shutil.which(cmd[0]) if cmd else None
    return ([found, *cmd[1:]], None) if found else (None, f"$CC={env!r}: program not found")


def _private_dir(path: str, inner: bool) -> bool:
    """Make ``path`` a private directory of ours, created 0o700 (with missing ancestors) if
    missing, or raise. In the key directory (``inner``: the root is verified) a link or file in
    the way is replaced, never followed. True when it was ours but open to others."""
    fresh = False
    for attempt in range(3):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            todo = [path]
            while not inner and not os.path.lexists(os.path.dirname(todo[-1])):
                todo.append(os.path.dirname(todo[-1]))
            for p in reversed(todo):
                try:
                    os.mkdir(p, 0o700)  # umask only ever clears bits
                except FileExistsError:
                    pass
            fresh = True
            continue
        if not (inner and attempt < 2 and (_link_like(st) or not stat.S_ISDIR(st.st_mode))):
            break
        try:
            os.unlink(path)
        except OSError:
            os.rmdir(path)  # a Windows junction
    else:
        raise _Reject(f"{path} cannot be created")
    if _link_like(st):
        raise _Reject(f"{path} is a symbolic link or junction: not followed")
    if not stat.S_ISDIR(st.st_mode):
        raise _Reject(f"{path} is in the way: not a directory")
    if _WINDOWS:  # %LOCALAPPDATA% is per user; uids and modes do not apply
        return False
    if st.st_uid != _uid():
        raise _Reject(f"{path} is owned by uid {st.st_uid}, not by this user (uid {_uid()})")
    if fresh or st.st_mode & 0o077:
        os.chmod(path, 0o700)
        if os.lstat(path).st_mode & 0o077:
            raise _Reject(f"{path} cannot be made private")
    return bool(st.st_mode & 0o077) and not fresh


class KernelStore:
    """The kernels of one key, as verified shared libraries in ``<root>/kernels-<key>``.

    Parameters
    ----------
    key : str
        A hexadecimal digest, computed by the caller over all the machine code depends on
        (sources, versions, CPU).
    root : str, optional
        The directory of the ``kernels-*`` directories; :func:`default_root` by default.
    keep : int, optional
        How many ``kernels-*`` directories (the most recently used, this one included) survive
        the pruning on this process's first use of the store.

    Attributes
    ----------
    reason : str or None
        Why the store is unusable; None while it is usable.
    last_error : str or None
        Why the last save (its link) failed or a load rejected a kernel's files.
    """

    def __init__(self, key: str, root: str | None = None, keep: int = 3):
        if not (isinstance(key, str) and 0 < len(key) <= 128 and _HEX >= set(key.lower())):
            raise ValueError(f"the key must be a hexadecimal string, not {key!r}")
        if type(keep) is not int or keep < 1:
            raise ValueError(f"keep must be a positive integer, not {keep!r}")
        self.keep = keep
        self.root = default_root() if root is None else os.path.abspath(root)
        self._dir = self.root and os.path.join(self.root, "kernels-" + key)
        self.reason: str | None = None
        self.last_error: str | None = None

    def directory(self) -> str | None:
        """The key directory, created if missing and verified (see the module's security
        model); the first success in a process stamps it as used and prunes old keys.

        Returns
        -------
        str or None
            ``<root>/kernels-<key>``, or None when unusable (:attr:`reason` says why).
        """
        with _LOCK:
            try:
                if self._dir is None:
                    raise _Reject("no home directory to cache in; set $DUALDIFF_CACHE_DIR")
                opened = _private_dir(self.root, inner=False)
                if _private_dir(self._dir, inner=True) or opened:
                    _log.warning("%s was open to other users: made private, emptied", self._dir)
                    for entry in _entries(self._dir):
                        _remove(entry.path)
                    if _entries(self._dir):
                        raise _Reject(f"{self._dir} was open to others and cannot be emptied")
            except (_Reject, OSError) as exc:
                self.reason = f"kernel store unusable: {exc}"
                return None
            self.reason = None
            if self._dir not in _STARTED:
                _STARTED.add(self._dir)
                self._start()
            return self._dir

    def _start(self) -> None:
        """Stamp the key directory as used, drop dead saves' temporaries, prune old keys."""
        stamp = os.path.join(self._dir, "last-used")
        try:
            fd = os.open(stamp, os.O_WRONLY | os.O_CREAT | _NOFOLLOW, 0o600)
            try:
                os.utime(fd if os.utime in os.supports_fd else stamp)
            finally:
                os.close(fd)
        except OSError:
            pass
        ranked, hour_ago = [], time.time() - 3600
        for entry in _entries(self._dir):  # temporaries of saves that died
            try:
                if entry.name.startswith(".") and os.lstat(entry.path).st_mtime < hour_ago:
                    _remove(entry.path)
            except OSError:
                pass
        for entry in _entries(self.root):
            try:
                st = os.lstat(entry.path)
                if entry.name.startswith("kernels-") and entry.path != self._dir and _ours(st):
                    stamp = os.path.join(entry.path, "last-used")
                    used = os.lstat(stamp).st_mtime if os.path.lexists(stamp) else st.st_mtime
                    ranked.append((used, entry.path))
            except OSError:
                pass
        for _, path in sorted(ranked, reverse=True)[self.keep - 1 :]:
            shutil.rmtree(path, ignore_errors=True)

    def load(self, name: str) -> int | None:
        """The address of kernel ``name``'s function, from its verified library.

        Parameters
        ----------
        name : str
            1 to 200 of ``[A-Za-z0-9_.-]`` (else ValueError, the only exception raised).

        Returns
        -------
        int or None
            None when the kernel is not stored, the store is unusable, or a check fails: then
            the kernel's files are deleted, for the caller to rebuild.
        """
        _check_name(name)
        with _LOCK:
            directory = self.directory()
            if directory is None:
                return None
            base = os.path.join(directory, name)
            try:
                return self._load(base, name)
            except Exception as exc:  # noqa: BLE001 - whatever is wrong: delete, rebuild
                self.last_error = f"kernel {name!r} rejected: {exc}"
                _log.info("%s", self.last_error)
                _remove(base + ".so")
                _remove(base + ".json")
                return None

    def _load(self, base: str, name: str) -> int | None:
        try:
            record = _record(base + ".json", name)
        except FileNotFoundError:
            if os.path.lexists(base + ".so"):
                raise _Reject(f"{base}.so has no record") from None
            return None
        path, sha = base + ".so", record["sha256"]
        data = _read_private(path, record["size"])
        if len(data) != record["size"] or hashlib.sha256(data).hexdigest() != sha:
            raise _Reject(f"{path} does not match its record (size or SHA-256)")
        if _MAPPED.get(path, sha) != sha:  # dlopen would return the other library it mapped
            self.last_error = f"{path} was rebuilt since this process loaded it"
            return None
        lib = ctypes.CDLL(path)
        _LIBRARIES.append(lib)
        _MAPPED[path] = sha
        address = ctypes.cast(lib[record["symbol"]], ctypes.c_void_p).value
        if not address:
            raise _Reject(f"{path} has a null {record['symbol']!r}")
        return address

    def save(self, name: str, obj: bytes, symbol: str) -> int | None:
        """Link object code into kernel ``name``'s library, store it, and load it back.

        ``obj`` is linked with the GIL helpers (``_GIL_C``) by the C compiler in a private
        temporary directory; the library is moved into place as ``<name>.so``, then its record
        ``<name>.json`` (name, symbol, sha256, size, format) is written atomically.

        Parameters
        ----------
        name : str
            1 to 200 of ``[A-Za-z0-9_.-]`` (else ValueError, the only exception raised).
        obj : bytes
            Position-independent object code (ELF or Mach-O), as LLVM emits it.
        symbol : str
            The kernel function's symbol.

        Returns
        -------
        int or None
            The function's address from :meth:`load`, so this process runs what later ones
            will; None when it cannot be stored (:attr:`last_error` says why).
        """
        _check_name(name)
        try:
            return self._save(name, bytes(obj), symbol)
        except Exception as exc:  # noqa: BLE001 - never raise: the caller runs its own code
            self.last_error = f"saving kernel {name!r} failed: {type(exc).__name__}: {exc}"
            return None

    def _save(self, name: str, obj: bytes, symbol: str) -> int | None:
        import subprocess
        import tempfile

        cc, self.last_error = _compiler()
        if _WINDOWS:
            self.last_error = "linking kernels into DLLs is not supported on Windows; "
            self.last_error += "kernels are compiled per process"
        elif not _is_symbol(symbol):
            self.last_error = f"not a symbol: {symbol!r}"
        elif cc and self.directory() is None:
            self.last_error = self.reason
        if self.last_error:
            return None
        extra = ["-l:libmvec.so.1"] if sys.platform.startswith("linux") and b"_ZGV" in obj else []
        extra += ["-undefined", "dynamic_lookup"] if sys.platform == "darwin" else []
        cmd = [*cc, "-shared", "-fPIC", "-O2", "-o", "k.so", "k.o", "gil.c", *extra, "-lm"]
        tmp = tempfile.mkdtemp(prefix=".link-", dir=self._dir)  # 0o700, same file system
        try:
            with open(os.path.join(tmp, "k.o"), "wb") as f:
                f.write(obj)
            with open(os.path.join(tmp, "gil.c"), "w", encoding="ascii") as f:
                f.write(_GIL_C)
            done = subprocess.run(cmd, cwd=tmp, capture_output=True, timeout=120, check=False)
            if done.returncode != 0:
                tail = done.stderr.decode(errors="replace").strip()[-800:]
                self.last_error = f"{shlex.join(cmd)} exited with {done.returncode}: {tail}"
                return None
            with open(os.path.join(tmp, "k.so"), "rb") as f:
                data = f.read()
            record = {"name": name, "symbol": symbol, "sha256": hashlib.sha256(data).hexdigest()}
            os.chmod(os.path.join(tmp, "k.so"), 0o700)
            fd, part = tempfile.mkstemp(prefix=".record-", dir=tmp)  # 0o600
            with open(fd, "w", encoding="utf-8") as f:
                json.dump({**record, "size": len(data), "format": 1}, f)
            with _LOCK:
                if self.directory() is None:
                    self.last_error = self.reason
                    return None
                os.replace(os.path.join(tmp, "k.so"), os.path.join(self._dir, name + ".so"))
                os.replace(part, os.path.join(self._dir, name + ".json"))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return self.load(name)

    def info(self) -> dict:
        """A summary, for diagnosis (the directory is verified as by :meth:`directory`).

        Returns
        -------
        dict
            ``root``, ``directory``, ``usable``, ``reason``, ``kernels`` (records whose library
            has the recorded size; digests are not checked here), ``bytes`` (in the key
            directory), ``other_keys`` (the sibling ``kernels-*`` names), ``compiler`` (the
            command that links, or None).
        """
        with _LOCK:
            directory, kernels = self.directory(), 0
            for entry in _entries(directory) if directory else []:
                name = entry.name[: -len(".json")]
                try:
                    if entry.name.endswith(".json"):
                        size = _record(entry.path, name)["size"]
                        kernels += os.lstat(os.path.join(directory, name + ".so")).st_size == size
                except (OSError, _Reject):
                    pass
            others = [e.name for e in _entries(self.root)] if self.root else []
            return {
                "root": self.root,
                "directory": directory,
                "usable": directory is not None,
                "reason": self.reason,
                "kernels": kernels,
                "bytes": _tree_bytes(directory) if directory else 0,
                "other_keys": sorted(
                    n
                    for n in others
                    if n.startswith("kernels-") and os.path.join(self.root, n) != self._dir
                ),
                "compiler": _compiler()[0],
            }

    def clear(self) -> int:
        """Remove every ``kernels-*`` directory of ours under the root, and nothing else.

        Returns
        -------
        int
            The number of bytes removed.
        """
        removed = 0
        with _LOCK:
            try:
                if not self.root or not _ours(os.lstat(self.root)):
                    return 0
            except OSError:
                return 0
            for entry in _entries(self.root):
                try:
                    ours = entry.name.startswith("kernels-") and _ours(os.lstat(entry.path))
                except OSError:
                    ours = False
                if ours:
                    size = _tree_bytes(entry.path)
                    shutil.rmtree(entry.path, ignore_errors=True)
                    _STARTED.discard(entry.path)
                    removed += 0 if os.path.lexists(entry.path) else size
        return removed
