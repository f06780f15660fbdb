"""The benchmark's inputs, made or fetched into a cache directory on first use.

- the sample SRPM (tests/data), a real C package (zlib's upstream tarball fetched from Debian's
  source archive, with our own spec and %check), and a complex package whose 50+
  BuildRequires are generated RPMs of realistic sizes in a createrepo_c repo;
- the task image's root filesystem, exported once per image id, for the bare baseline.

A fresh cache directory makes everything from scratch: that is what the CI guard pays.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SRPM = ROOT / "tests/data/srpms/adjutant-hello-1.0-1.src.rpm"
# zlib as Debian bookworm ships it (Sources: pool/main/z/zlib, version 1:1.2.13.dfsg-1).
ZLIB_URL = "http://deb.debian.org/debian/pool/main/z/zlib/zlib_1.2.13.dfsg.orig.tar.bz2"
ZLIB_SHA256 = "71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1"
ZLIB_SPEC = """\
Name: bench-zlib
Version: 1.2.13
Release: 1
Summary: zlib from Debian's source archive, built as a benchmark input
License: Zlib
Source0: zlib_1.2.13.dfsg.orig.tar.bz2
BuildRequires: gcc
BuildRequires: make
%global debug_package %{nil}

%description
zlib compression library.

%prep
%setup -q -n zlib-1.2.13.dfsg

%build
CFLAGS="%{optflags}" ./configure --prefix=%{_prefix} --libdir=%{_libdir}
make %{?_smp_mflags}

%check
make test

%install
make install DESTDIR=%{buildroot}
rm -f %{buildroot}%{_libdir}/libz.a

%files
%{_libdir}/libz.so*
%{_libdir}/pkgconfig/zlib.pc
%{_includedir}/*.h
%{_mandir}/man3/zlib.3*
"""


@dataclass(frozen=True)
class Inputs:
    cache: Path
    simple_srpm: Path
    zlib_srpm: Path
    complex_srpm: Path
    deps_repo: Path  # createrepo_c'd directory of the complex package's BuildRequires
    dep_rpms: tuple[Path, ...]
    fetch_s: float  # seconds spent fetching from Debian (0 when cached)


def fetch_verified(url: str, sha256: str, target: Path) -> bool:
    """Download ``url`` to ``target`` unless it is there; True when it was fetched."""
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
        return False
    partial = target.with_suffix(".part")
    with urllib.request.urlopen(url, timeout=120) as response, partial.open("wb") as out:
        shutil.copyfileobj(response, out)
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()
    if digest != sha256:
        raise RuntimeError(f"{url}: sha256 {digest}, expected {sha256}")
    partial.rename(target)
    return True


def srpm_from_spec(spec_text: str, work: Path, sources: tuple[Path, ...] = ()) -> Path:
    """``rpmbuild -bs`` on the host (reused when made before)."""
    found = sorted((work / "rb/SRPMS").glob("*.src.rpm")) if work.exists() else []
    if found:
        return found[0]
    src = work / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "bench.spec").write_text(spec_text)
    for source in sources:
        shutil.copy2(source, src / source.name)
    subprocess.run(["rpmbuild", "-bs", "--define", f"_topdir {work / 'rb'}",
                    "--define", f"_sourcedir {src}", str(src / "bench.spec")],
                   check=True, capture_output=True)  # fmt: skip
    return sorted((work / "rb/SRPMS").glob("*.src.rpm"))[0]


def dep_sizes(count: int, quick: bool) -> list[tuple[int, int]]:
    """(payload KiB, extra small files) per dependency: mostly 100 KiB–1 MiB, some up to
    5 MiB, every fifth with many small files, as -devel and -data packages have. --quick keeps
    the shape at a tenth of the bytes."""
    rng = random.Random(17)
    sizes = []
    for n in range(count):
        kib = (
            rng.choice([100, 150, 200, 300, 500, 800, 1000]) if n % 7 else rng.choice([2048, 5120])
        )
        sizes.append((max(10, kib // 10) if quick else kib, 200 if n % 5 == 0 else 0))
    return sizes


def dep_spec(n: int, kib: int, files: int) -> str:
    """One dependency, a source package of its own (as distribution packages are)."""
    name = f"bench-dep-{n:02d}"
    many = (
        f"for i in $(seq {files}); do echo $i > %{{buildroot}}/usr/share/{name}/many/f$i.h; done\n"
        if files
        else ""
    )
    return (
        f"Name: {name}\nVersion: 1\nRelease: 1\nSummary: {name}\nLicense: MIT\n"
        "BuildArch: noarch\n%define _binary_payload w1.gzdio\n"
        f"%description\n{name}\n%install\nmkdir -p %{{buildroot}}/usr/share/{name}/many\n"
        f"head -c {kib * 1024} /dev/urandom > %{{buildroot}}/usr/share/{name}/data\n{many}"
        f"%files\n/usr/share/{name}\n"
    )


def complex_spec(count: int) -> str:
    requires = "".join(f"BuildRequires: bench-dep-{n:02d}\n" for n in range(count))
    return f"""\
Name: bench-complex
Version: 1
Release: 1
Summary: a package with {count} BuildRequires
License: MIT
BuildRequires: gcc
{requires}%global debug_package %{{nil}}

%description
Dependency installation dominates its build, as for real distribution packages.

%prep

%build
ls /usr/share/bench-dep-*/data | wc -l > count
test "$(cat count)" = {count}
echo 'int main(void) {{ return 0; }}' > main.c
gcc %{{optflags}} -o bench-complex main.c

%install
install -D -m 755 bench-complex %{{buildroot}}%{{_bindir}}/bench-complex

%files
%{{_bindir}}/bench-complex
"""


def make_deps_repo(work: Path, count: int, quick: bool) -> tuple[Path, tuple[Path, ...]]:
    repo = work / "repo"
    if (repo / "repodata/repomd.xml").exists():
        return repo, tuple(sorted(repo.glob("*.rpm")))
    shutil.rmtree(work, ignore_errors=True)
    repo.mkdir(parents=True)

    def build(item: tuple[int, tuple[int, int]]) -> None:
        n, (kib, files) = item
        spec = work / f"dep-{n:02d}.spec"
        spec.write_text(dep_spec(n, kib, files))
        subprocess.run(["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {work / f'rb{n}'}",
                        str(spec)], check=True, capture_output=True)  # fmt: skip

    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(build, enumerate(dep_sizes(count, quick))))
    for rpm in work.glob("rb*/RPMS/*/*.rpm"):
        shutil.move(rpm, repo / rpm.name)
    subprocess.run(["createrepo_c", "--quiet", str(repo)], check=True, capture_output=True)
    return repo, tuple(sorted(repo.glob("*.rpm")))


def prepare(cache: Path, *, quick: bool, dep_count: int = 55) -> Inputs:
    import time

    cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tarball = cache / "zlib_1.2.13.dfsg.orig.tar.bz2"
    fetched = fetch_verified(ZLIB_URL, ZLIB_SHA256, tarball)
    fetch_s = time.perf_counter() - started if fetched else 0.0
    variant = "quick" if quick else "full"
    repo, rpms = make_deps_repo(cache / f"deps-{variant}", dep_count, quick)
    return Inputs(
        cache=cache,
        simple_srpm=SAMPLE_SRPM,
        zlib_srpm=srpm_from_spec(ZLIB_SPEC, cache / "zlib", (tarball,)),
        complex_srpm=srpm_from_spec(complex_spec(dep_count), cache / "complex"),
        deps_repo=repo,
        dep_rpms=rpms,
        fetch_s=fetch_s,
    )


def exported_rootfs(cache: Path, image: str) -> Path:
    """The image's root filesystem as a directory (``podman export``), once per image id."""
    image_id = subprocess.run(
        ["podman", "image", "inspect", "--format", "{{.Id}}", image],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    root = cache / f"rootfs-{image_id[:12]}"
    if (root / ".complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    container = subprocess.run(
        ["podman", "create", image, "true"], check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        export = subprocess.Popen(["podman", "export", container], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(root)], stdin=export.stdout, check=True)
        if export.wait() != 0:
            raise RuntimeError(f"podman export of {image} failed")
    finally:
        subprocess.run(["podman", "rm", "-f", container], capture_output=True, check=False)
    (root / ".complete").touch()
    return root
