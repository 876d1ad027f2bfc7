"""Tests of dualdiff._kernels.store: kernels on disk are loaded only after they are verified.

The module is loaded by its path (it needs nothing else of the package). Kernels are tiny C
functions compiled here with ``cc -c -fPIC`` (``k``: 2x, ``k3``: 3x) and called through ctypes,
so every check is of code that really runs. Files are damaged by writing a new file and
renaming it into place: rewriting a library this process has mapped would change its code
under it. Faulty files are prepared in another process where this one must open them fresh.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import types
from pathlib import Path

import pytest

STORE = Path(__file__).resolve().parent.parent / "dualdiff" / "_kernels" / "store.py"
KEY = "0123abcd"
X = 1.5  # k(X) == 3.0, k3(X) == 4.5

CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
pytestmark = pytest.mark.skipif(CC is None or os.name == "nt", reason="needs a C compiler, POSIX")
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")


@pytest.fixture(scope="module")
def store():
    spec = importlib.util.spec_from_file_location("dualdiff_store_under_test", STORE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _compile(directory: Path, name: str, source: str, *flags: str) -> Path:
    src = directory / f"{name}.c"
    src.write_text(source)
    out = directory / (f"{name}.so" if "-shared" in flags else f"{name}.o")
    subprocess.run([CC, "-fPIC", *flags, "-o", str(out), str(src)], check=True)
    return out


@pytest.fixture(scope="module")
def objs(tmp_path_factory):
    """Object code of ``k`` (2x), ``k3`` (3x) and another ``k`` (5x), by file name."""
    d = tmp_path_factory.mktemp("objs")
    return {
        "k": _compile(d, "k", "double k(double x) { return x * 2.0; }\n", "-c").read_bytes(),
        "k3": _compile(d, "k3", "double k3(double x) { return x * 3.0; }\n", "-c").read_bytes(),
        "k5": _compile(d, "k5", "double k(double x) { return x * 5.0; }\n", "-c").read_bytes(),
    }


def call(address) -> float:
    assert address is not None
    return ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(address)(X)


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def child(code: str) -> str:
    """Run ``code`` in a new Python process with the store module as ``store``; its stdout."""
    prelude = textwrap.dedent(f"""\
        import ctypes, importlib.util, json, sys
        spec = importlib.util.spec_from_file_location("dualdiff_store_under_test", {str(STORE)!r})
        store = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(store)
        F = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)
        """)
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.returncode, done.stderr)  # a signal is negative
    return done.stdout


@pytest.fixture
def seeded(tmp_path, objs):
    """A root where another process saved ``k`` and ``k3``; (root, key dir, good libraries)."""
    root = tmp_path / "cache"
    (tmp_path / "k.o").write_bytes(objs["k"])
    (tmp_path / "k3.o").write_bytes(objs["k3"])
    out = child(f"""
        s = store.KernelStore({KEY!r}, root={str(root)!r})
        for name in ("k", "k3"):
            with open({str(tmp_path)!r} + "/" + name + ".o", "rb") as f:
                print(F(s.save(name, f.read(), name))({X}))
        """)
    assert out.split() == ["3.0", "4.5"]
    key_dir = root / f"kernels-{KEY}"
    good = {("k.so", sha(key_dir / "k.so")), ("k3.so", sha(key_dir / "k3.so"))}
    return root, key_dir, good


@pytest.fixture
def dlopens(store, monkeypatch):
    """(file name, SHA-256 of its bytes) of every library the store hands to dlopen."""
    seen = []

    def cdll(path, *args, **kwargs):
        seen.append((os.path.basename(path), sha(path)))
        return ctypes.CDLL(path, *args, **kwargs)

    fake = types.SimpleNamespace(CDLL=cdll, cast=ctypes.cast, c_void_p=ctypes.c_void_p)
    monkeypatch.setattr(store, "ctypes", fake)
    return seen


def replace(path: Path, data: bytes, mode: int = 0o700) -> None:
    """Put ``data`` at ``path`` as a new file (never rewrite a file that may be mapped)."""
    new = path.with_name(path.name + ".new")
    new.write_bytes(data)
    new.chmod(mode)
    os.replace(new, path)


def swap(a: Path, b: Path) -> None:
    tmp = a.with_name("swap.tmp")
    os.rename(a, tmp)
    os.rename(b, a)
    os.rename(tmp, b)


def healthy(store, root, objs, name="k", expect=3.0) -> None:
    """A rebuild gives the right function, and so does loading it again, here and anew."""
    s = store.KernelStore(KEY, root=str(root))
    assert call(s.save(name, objs[name], name)) == expect, s.last_error
    assert call(s.load(name)) == expect
    assert call(store.KernelStore(KEY, root=str(root)).load(name)) == expect


def plant(tmp_path: Path, marker: Path) -> Path:
    """A shared library whose constructor creates ``marker`` (and whose ``k`` returns 100x)."""
    source = textwrap.dedent(f"""\
        #include <stdio.h>
        __attribute__((constructor)) static void planted(void) {{
            FILE *f = fopen("{marker}", "w");
            if (f) {{ fputs("ran", f); fclose(f); }}
        }}
        double k(double x) {{ return x * 100.0; }}
        """)
    return _compile(tmp_path, "plant", source, "-shared")


def forge(key_dir: Path, library: Path, digest: str | None = None, mode: int = 0o700) -> None:
    """Place ``library`` as kernel ``k`` with a record (its true digest unless ``digest``)."""
    data = library.read_bytes()
    replace(key_dir / "k.so", data, mode)
    record = {"name": "k", "symbol": "k", "sha256": digest or sha(library), "size": len(data)}
    replace(key_dir / "k.json", json.dumps({**record, "format": 1}).encode(), 0o600)


# ---------------------------------------------------------------- storing and loading


def test_save_then_load_here_and_in_another_process(store, tmp_path, objs):
    root = tmp_path / "cache"
    s = store.KernelStore(KEY, root=str(root))
    assert call(s.save("k", objs["k"], "k")) == 3.0, s.last_error
    key_dir = root / f"kernels-{KEY}"
    record = json.loads((key_dir / "k.json").read_text())
    assert record == {
        "name": "k",
        "symbol": "k",
        "sha256": sha(key_dir / "k.so"),
        "size": (key_dir / "k.so").stat().st_size,
        "format": 1,
    }
    assert call(store.KernelStore(KEY, root=str(root)).load("k")) == 3.0
    out = child(f"print(F(store.KernelStore({KEY!r}, root={str(root)!r}).load('k'))(21.0))")
    assert out.strip() == "42.0"
    assert not [p for p in os.listdir(key_dir) if p.startswith(".")]  # no temporaries left
    info = store.KernelStore(KEY, root=str(root)).info()
    assert info["usable"] and info["reason"] is None and info["kernels"] == 1
    assert info["directory"] == str(key_dir) and info["bytes"] > 0 and info["compiler"]


def test_missing_kernel_is_none_and_names_are_checked(store, tmp_path, objs):
    s = store.KernelStore(KEY, root=str(tmp_path))
    assert s.load("absent") is None and s.last_error is None
    for bad in ("", "../x", "a/b", "k\0", "k so", "é", "x" * 201):
        with pytest.raises(ValueError):
            s.load(bad)
        with pytest.raises(ValueError):
            s.save(bad, objs["k"], "k")
    for key in ("", "xyz", "12/34"):
        with pytest.raises(ValueError):
            store.KernelStore(key, root=str(tmp_path))
    assert s.save("k", objs["k"], "not a symbol") is None and "symbol" in s.last_error


# ---------------------------------------------------------------- damaged files


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "emptied"])
def test_damaged_library_is_deleted_and_rebuilt(store, seeded, objs, dlopens, damage):
    root, key_dir, good = seeded
    data = (key_dir / "k.so").read_bytes()
    if damage == "garbage":
        bad = os.urandom(len(data))
    elif damage == "truncated":
        bad = data[: len(data) // 2]
    elif damage == "flipped":
        bad = bytearray(data)
        bad[len(bad) // 2] ^= 0xFF
        bad = bytes(bad)
    else:
        bad = b""
    replace(key_dir / "k.so", bad)
    s = store.KernelStore(KEY, root=str(root))
    assert s.load("k") is None
    assert "does not match" in s.last_error or "larger" in s.last_error
    assert not (key_dir / "k.so").exists() and not (key_dir / "k.json").exists()
    assert call(s.load("k3")) == 4.5  # the other kernel is untouched
    healthy(store, root, objs)
    assert set(dlopens) <= good


def test_library_dlopen_refuses_or_without_symbol_is_deleted(store, seeded, objs, dlopens):
    root, key_dir, good = seeded
    s = store.KernelStore(KEY, root=str(root))
    junk = key_dir.parent / "junk"
    junk.write_bytes(b"\x7fELF not really a library" * 10)
    forge(key_dir, junk)  # a record that matches: dlopen itself must fail, cleanly
    assert s.load("k") is None and not (key_dir / "k.so").exists()
    assert "rejected" in s.last_error
    record = json.loads((key_dir / "k3.json").read_text())
    record["symbol"] = "nope"
    replace(key_dir / "k3.json", json.dumps(record).encode(), 0o600)
    assert s.load("k3") is None and not (key_dir / "k3.so").exists()
    assert ("k3.so", sha(junk)) not in dlopens
    healthy(store, root, objs)
    healthy(store, root, objs, "k3", 4.5)


@pytest.mark.parametrize("damage", ["record missing", "library missing", "record garbage"])
def test_half_a_pair_or_a_bad_record_is_deleted(store, seeded, objs, damage):
    root, key_dir, _ = seeded
    if damage == "record missing":
        (key_dir / "k.json").unlink()
    elif damage == "library missing":
        (key_dir / "k.so").unlink()
    else:
        replace(key_dir / "k.json", b"{not json" + b"x" * 5000, 0o600)
    s = store.KernelStore(KEY, root=str(root))
    assert s.load("k") is None
    assert not (key_dir / "k.so").exists() and not (key_dir / "k.json").exists()
    healthy(store, root, objs)


def test_swapped_libraries_never_run_as_the_wrong_kernel(store, seeded, objs, dlopens):
    root, key_dir, good = seeded
    swap(key_dir / "k.so", key_dir / "k3.so")
    s = store.KernelStore(KEY, root=str(root))
    assert s.load("k") is None and s.load("k3") is None
    assert not dlopens
    healthy(store, root, objs)
    healthy(store, root, objs, "k3", 4.5)
    assert set(dlopens) <= good


def test_swapped_libraries_and_records_never_run_as_the_wrong_kernel(store, seeded, objs, dlopens):
    root, key_dir, good = seeded
    swap(key_dir / "k.so", key_dir / "k3.so")
    swap(key_dir / "k.json", key_dir / "k3.json")
    s = store.KernelStore(KEY, root=str(root))
    assert s.load("k") is None and s.load("k3") is None  # each record names the other kernel
    assert not dlopens
    healthy(store, root, objs)
    healthy(store, root, objs, "k3", 4.5)
    assert set(dlopens) <= good


def test_a_library_rebuilt_differently_is_not_confused_with_the_one_mapped(store, tmp_path, objs):
    """dlopen returns the library it already mapped from a path: a different one stored
    there since is not reported as loaded (and is left for other processes)."""
    root = tmp_path / "cache"
    s = store.KernelStore(KEY, root=str(root))
    assert call(s.save("k", objs["k"], "k")) == 3.0
    (tmp_path / "k5.o").write_bytes(objs["k5"])
    out = child(f"""
        s = store.KernelStore({KEY!r}, root={str(root)!r})
        s.clear()
        with open({str(tmp_path / "k5.o")!r}, "rb") as f:
            print(F(s.save("k", f.read(), "k"))({X}))
        """)
    assert out.strip() == "7.5"
    fresh = store.KernelStore(KEY, root=str(root))
    assert fresh.load("k") is None and "rebuilt" in fresh.last_error
    assert (root / f"kernels-{KEY}" / "k.so").exists()
    assert child(f"print(F(store.KernelStore({KEY!r}, root={str(root)!r}).load('k'))({X}))")


# ---------------------------------------------------------------- planted libraries


def test_the_planted_library_does_run_its_constructor_when_opened(tmp_path):
    marker = tmp_path / "marker"
    library = plant(tmp_path, marker)
    child(f"ctypes.CDLL({str(library)!r})")
    assert marker.read_text() == "ran"  # so the tests below would notice a load


@pytest.mark.parametrize("record", ["none", "forged digest", "writable library"])
def test_planted_library_is_never_loaded(store, tmp_path, objs, dlopens, record):
    root, marker = tmp_path / "cache", tmp_path / "marker"
    s = store.KernelStore(KEY, root=str(root))
    key_dir = Path(s.directory())
    library = plant(tmp_path, marker)
    if record == "none":
        replace(key_dir / "k.so", library.read_bytes())
    elif record == "forged digest":
        forge(key_dir, library, digest="0" * 64)
    else:
        forge(key_dir, library, mode=0o766)
    assert s.load("k") is None
    assert not marker.exists() and not dlopens
    assert not (key_dir / "k.so").exists()
    healthy(store, root, objs)
    assert not marker.exists()


@pytest.mark.parametrize("opened", ["key dir", "root"])
def test_planted_library_in_a_directory_open_to_others_is_wiped(store, tmp_path, objs, opened):
    root, marker = tmp_path / "cache", tmp_path / "marker"
    s = store.KernelStore(KEY, root=str(root))
    key_dir = Path(s.directory())
    forge(key_dir, plant(tmp_path, marker))  # its record matches its digest
    (key_dir / "other.txt").write_text("planted too")
    (key_dir if opened == "key dir" else root).chmod(0o777)
    assert store.KernelStore(KEY, root=str(root)).load("k") is None
    assert not marker.exists()
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert os.listdir(key_dir) == []
    healthy(store, root, objs)
    assert not marker.exists()


@as_root
def test_library_of_another_user_is_never_loaded(store, tmp_path, objs, dlopens):
    root, marker = tmp_path / "cache", tmp_path / "marker"
    s = store.KernelStore(KEY, root=str(root))
    key_dir = Path(s.directory())
    forge(key_dir, plant(tmp_path, marker))
    os.chown(key_dir / "k.so", 4242, 4242)
    assert s.load("k") is None and "owned by uid 4242" in s.last_error
    assert not marker.exists() and not dlopens
    healthy(store, root, objs)


def test_symlink_in_place_of_the_key_dir_is_replaced_not_followed(store, tmp_path, objs):
    root, marker, evil = tmp_path / "cache", tmp_path / "marker", tmp_path / "evil"
    evil.mkdir(mode=0o700)
    forge(evil, plant(tmp_path, marker))
    before = sorted(os.listdir(evil))
    root.mkdir(mode=0o700)
    (root / f"kernels-{KEY}").symlink_to(evil, target_is_directory=True)
    s = store.KernelStore(KEY, root=str(root))
    assert s.load("k") is None
    assert not marker.exists()
    key_dir = root / f"kernels-{KEY}"
    assert key_dir.is_dir() and not key_dir.is_symlink()
    assert sorted(os.listdir(evil)) == before  # never followed, never wiped
    healthy(store, root, objs)
    assert not marker.exists()


def test_symlinked_root_is_refused(store, tmp_path, objs):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "cache").symlink_to(real, target_is_directory=True)
    s = store.KernelStore(KEY, root=str(tmp_path / "cache"))
    assert s.directory() is None and "symbolic link" in s.reason
    assert s.load("k") is None and s.save("k", objs["k"], "k") is None
    assert os.listdir(real) == []


# ---------------------------------------------------------------- ownership and modes


def test_root_of_another_user_is_unusable(store, tmp_path, objs, monkeypatch):
    root = tmp_path / "cache"
    root.mkdir(mode=0o700)
    other = os.geteuid() + 1000
    monkeypatch.setattr(store, "_uid", lambda: other)
    s = store.KernelStore(KEY, root=str(root))
    assert s.directory() is None
    assert "owned by uid" in s.reason and str(root) in s.reason and str(os.geteuid()) in s.reason
    assert s.load("k") is None
    assert s.save("k", objs["k"], "k") is None and s.last_error
    assert not s.info()["usable"]
    assert os.listdir(root) == []


@as_root
@pytest.mark.parametrize("which", ["root", "key dir"])
def test_directory_really_owned_by_another_user_is_unusable(store, tmp_path, objs, which):
    root, marker = tmp_path / "cache", tmp_path / "marker"
    key_dir = Path(store.KernelStore(KEY, root=str(root)).directory())
    forge(key_dir, plant(tmp_path, marker))
    os.chown(root if which == "root" else key_dir, 4242, 4242)
    s = store.KernelStore(KEY, root=str(root))
    assert s.load("k") is None and "owned by uid 4242" in s.reason
    assert not marker.exists()
    assert s.save("k", objs["k"], "k") is None


def test_umask_000_still_gives_private_files(store, tmp_path, objs):
    root = tmp_path / "a" / "cache"
    old = os.umask(0)
    try:
        s = store.KernelStore(KEY, root=str(root))
        assert call(s.save("k", objs["k"], "k")) == 3.0
    finally:
        os.umask(old)
    key_dir = root / f"kernels-{KEY}"
    for d in (root.parent, root, key_dir):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    for f in os.listdir(key_dir):
        assert stat.S_IMODE((key_dir / f).stat().st_mode) & 0o077 == 0, f


# ---------------------------------------------------------------- no usable directory


@pytest.mark.parametrize("where", ["root", "parent"])
def test_file_in_the_way_makes_the_store_unusable(store, tmp_path, objs, where):
    blocker = tmp_path / "cache"
    blocker.write_text("a file")
    root = blocker if where == "root" else blocker / "sub"
    s = store.KernelStore(KEY, root=str(root))
    assert s.directory() is None and s.reason
    assert s.load("k") is None
    assert s.save("k", objs["k"], "k") is None and s.last_error
    assert blocker.read_text() == "a file"
    assert s.clear() == 0


def test_creation_refused_makes_the_store_unusable(store, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", args[0])

    monkeypatch.setattr(store.os, "mkdir", refuse)
    s = store.KernelStore(KEY, root=str(tmp_path / "cache"))
    assert s.directory() is None and "Permission denied" in s.reason
    assert s.load("k") is None


def test_default_root(store, monkeypatch, tmp_path):
    for var in ("DUALDIFF_CACHE_DIR", "XDG_CACHE_HOME", "HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(var, raising=False)
    root = store.default_root()  # the passwd entry's home, or None: never a temporary dir
    assert root is None or not root.startswith(tempfile.gettempdir())
    monkeypatch.setattr(os.path, "expanduser", lambda p: p)
    assert store.default_root() is None
    assert store.KernelStore(KEY).directory() is None

    def fail(p):
        raise KeyError("no passwd entry")

    monkeypatch.setattr(os.path, "expanduser", fail)
    assert store.default_root() is None
    s = store.KernelStore(KEY)
    assert s.directory() is None and "DUALDIFF_CACHE_DIR" in s.reason
    monkeypatch.undo()

    monkeypatch.setenv("DUALDIFF_CACHE_DIR", str(tmp_path / "here"))
    assert store.default_root() == str(tmp_path / "here")
    monkeypatch.setenv("DUALDIFF_CACHE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
        assert store.default_root() == str(tmp_path / "home" / ".cache" / "dualdiff")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert store.default_root() == str(tmp_path / "xdg" / "dualdiff")


# ---------------------------------------------------------------- the compiler


def test_no_compiler(store, tmp_path, objs, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("CC", raising=False)
    s = store.KernelStore(KEY, root=str(tmp_path / "cache"))
    assert s.save("k", objs["k"], "k") is None
    assert "no C compiler" in s.last_error
    assert s.info()["compiler"] is None
    monkeypatch.setenv("CC", "/nonexistent/cc")
    assert s.save("k", objs["k"], "k") is None
    assert "/nonexistent/cc" in s.last_error and "not found" in s.last_error
    assert s.load("k") is None


def test_link_failure_reports_exit_code_and_stderr(store, tmp_path, objs, monkeypatch):
    s = store.KernelStore(KEY, root=str(tmp_path / "cache"))
    assert s.save("k", b"not an object file", "k") is None
    assert "exited with" in s.last_error and "k.o" in s.last_error
    monkeypatch.setenv("CC", "false")
    assert s.save("k", objs["k"], "k") is None and "exited with 1" in s.last_error
    key_dir = tmp_path / "cache" / f"kernels-{KEY}"
    assert sorted(os.listdir(key_dir)) == ["last-used"]  # no library, record or temporary
    monkeypatch.setenv("CC", f"{CC} -O1")  # $CC with arguments
    assert call(s.save("k", objs["k"], "k")) == 3.0


# ---------------------------------------------------------------- housekeeping


def test_pruning_keeps_the_most_recently_used(store, tmp_path):
    root = tmp_path / "cache"
    root.mkdir(mode=0o700)
    now = time.time()
    for i in range(5):  # kernels-00 used longest ago ... kernels-04 most recently
        d = root / f"kernels-0{i}"
        d.mkdir(mode=0o700)
        (d / "k.so").write_bytes(b"x")
        if i != 4:
            (d / "last-used").touch()
            os.utime(d / "last-used", (now - 1000 + i, now - 1000 + i))
        os.utime(d, (now - 2000, now - 2000))  # only kernels-04 is ranked by its dir mtime
    (root / "notes.txt").write_text("not ours to prune")
    s = store.KernelStore("ff", root=str(root), keep=3)
    assert s.directory()
    left = sorted(p for p in os.listdir(root) if p.startswith("kernels-"))
    assert left == ["kernels-02", "kernels-03", "kernels-ff"]
    assert (root / "notes.txt").exists() and (root / "kernels-ff" / "last-used").exists()
    (root / "kernels-01").mkdir(mode=0o700)
    assert s.directory()  # once per process: no second pruning
    assert (root / "kernels-01").exists()
    assert s.info()["other_keys"] == ["kernels-01", "kernels-02", "kernels-03"]


def test_dead_saves_temporaries_are_removed_from_the_key_dir_only(store, tmp_path):
    root = tmp_path / "cache"
    key_dir = root / f"kernels-{KEY}"
    key_dir.mkdir(parents=True, mode=0o700)
    root.chmod(0o700)
    old = time.time() - 7200
    for path in (key_dir / ".link-dead", root / ".dotfile", key_dir / ".link-live"):
        path.mkdir() if path.name.startswith(".link") else path.write_text("x")
        if path.name != ".link-live":
            os.utime(path, (old, old))
    assert store.KernelStore(KEY, root=str(root)).directory()
    assert not (key_dir / ".link-dead").exists()
    assert (key_dir / ".link-live").exists() and (root / ".dotfile").exists()


def test_clear_removes_our_kernel_dirs_only(store, tmp_path, objs):
    root, outside = tmp_path / "cache", tmp_path / "outside"
    s = store.KernelStore(KEY, root=str(root))
    assert call(s.save("k", objs["k"], "k")) == 3.0
    (root / "kernels-beef").mkdir(mode=0o700)
    (root / "kernels-beef" / "x.so").write_bytes(b"12345")
    (root / "notes.txt").write_text("keep me")
    (root / "unrelated").mkdir()
    outside.mkdir()
    (outside / "precious").write_text("keep me")
    (root / "kernels-link").symlink_to(outside, target_is_directory=True)
    ours = [root / f"kernels-{KEY}", root / "kernels-beef"]
    size = sum(f.stat().st_size for d in ours for f in d.rglob("*") if f.is_file())
    assert s.clear() == size > 5
    assert sorted(os.listdir(root)) == ["kernels-link", "notes.txt", "unrelated"]
    assert (outside / "precious").read_text() == "keep me"
    assert s.info()["kernels"] == 0  # the key dir is back, empty
    assert (root / f"kernels-{KEY}" / "last-used").exists()
    assert call(s.save("k", objs["k"], "k")) == 3.0


def test_threads_saving_and_loading_at_once(store, tmp_path, objs):
    root = tmp_path / "cache"
    results, errors = [], []

    def work():
        try:
            s = store.KernelStore(KEY, root=str(root))
            address = s.load("k") or s.save("k", objs["k"], "k")
            results.append(call(address))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [3.0] * 6
