"""Make small SRPMs for tests from spec text with the host's rpmbuild (from scripts/setup-host)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

SPECS_DIR = Path(__file__).resolve().parents[1] / "data" / "specs"
SAMPLE_SRPM = (
    Path(__file__).resolve().parents[1] / "data" / "srpms" / "adjutant-hello-1.0-1.src.rpm"
)


def build_srpm(spec_text: str, out_dir: Path, sources: dict[str, str] | None = None) -> Path:
    """Write the spec and sources into ``out_dir`` and pack them with ``rpmbuild -bs``."""
    if shutil.which("rpmbuild") is None:
        raise RuntimeError("rpmbuild is missing on this host: run scripts/setup-host")
    work = out_dir / "srpm-src"
    work.mkdir(parents=True, exist_ok=True)
    spec = work / "test.spec"
    spec.write_text(spec_text)
    for name, text in (sources or {}).items():
        (work / name).write_text(text)
    subprocess.run(
        ["rpmbuild", "-bs", "--define", f"_topdir {out_dir / 'rpmbuild'}",
         "--define", f"_sourcedir {work}", "--define", "dist %{nil}", str(spec)],
        check=True, capture_output=True,
    )  # fmt: skip
    (srpm,) = (out_dir / "rpmbuild" / "SRPMS").glob("*.src.rpm")
    return srpm


def simple_spec(name: str, *, build_script: str = "true", build_requires: str = "") -> str:
    """A spec with no sources whose %build runs ``build_script`` and ships one text file."""
    requires = f"BuildRequires: {build_requires}\n" if build_requires else ""
    return f"""\
Name: {name}
Version: 1
Release: 1%{{?dist}}
Summary: test package
License: MIT
{requires}
%description
test package

%prep

%build
{build_script}

%install
mkdir -p %{{buildroot}}/usr/share/{name}
echo {name} > %{{buildroot}}/usr/share/{name}/marker

%files
/usr/share/{name}/marker
"""


def build_rpm(spec_text: str, out_dir: Path) -> Path:
    """Build the spec's binary RPM on the host (``rpmbuild -bb``); for repo fixtures."""
    work = out_dir / "rpm-src"
    work.mkdir(parents=True, exist_ok=True)
    spec = work / "test.spec"
    spec.write_text(spec_text)
    subprocess.run(
        ["rpmbuild", "-bb", "--nodeps", "--define", f"_topdir {out_dir / 'rpmbuild'}",
         "--define", "dist %{nil}", str(spec)],
        check=True, capture_output=True,
    )  # fmt: skip
    (rpm,) = (out_dir / "rpmbuild" / "RPMS").rglob("*.rpm")
    return rpm


def subpackage_spec(name: str) -> str:
    """A spec with a main package, a ``-devel`` of the same arch and a noarch ``-doc``.

    The shape of most C libraries: two subpackages share an arch, so a file name taken from
    the main package instead of each header makes one overwrite the other.
    """
    return f"""\
%global debug_package %{{nil}}
Name: {name}
Version: 2.10
Release: 1%{{?dist}}
Summary: test library with subpackages
License: MIT

%description
test library with subpackages

%package devel
Summary: development files of {name}
Requires: %{{name}} = %{{version}}-%{{release}}

%description devel
development files

%package doc
Summary: documentation of {name}
BuildArch: noarch

%description doc
documentation

%prep

%build

%install
mkdir -p %{{buildroot}}/usr/lib/{name} %{{buildroot}}/usr/include/{name} \\
    %{{buildroot}}/usr/share/doc/{name}-doc
echo library > %{{buildroot}}/usr/lib/{name}/lib.txt
echo header > %{{buildroot}}/usr/include/{name}/foo.h
echo manual > %{{buildroot}}/usr/share/doc/{name}-doc/README

%files
/usr/lib/{name}

%files devel
/usr/include/{name}

%files doc
/usr/share/doc/{name}-doc
"""


def build_all(spec_text: str, out_dir: Path) -> list[Path]:
    """Build the spec's SRPM and binary RPMs on the host (``rpmbuild -ba``), sorted by path."""
    work = out_dir / "all-src"
    work.mkdir(parents=True, exist_ok=True)
    spec = work / "test.spec"
    spec.write_text(spec_text)
    subprocess.run(
        ["rpmbuild", "-ba", "--nodeps", "--define", f"_topdir {out_dir / 'rpmbuild'}",
         "--define", "dist %{nil}", str(spec)],
        check=True, capture_output=True,
    )  # fmt: skip
    return sorted((out_dir / "rpmbuild").rglob("*.rpm"))
