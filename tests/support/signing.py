"""A throwaway OpenPGP key and rpmsign, for tests of signed copies and dist repos."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

KEY_NAME = "Adjutant Test Signing <signing@example.com>"


@dataclass(frozen=True)
class SigningKey:
    gnupghome: Path
    long_id: str

    @property
    def koji_id(self) -> str:
        """The key id koji files signatures under: the last 8 hex digits, lower case."""
        return self.long_id[-8:].lower()


@contextmanager
def signing_key(directory: Path) -> Iterator[SigningKey]:
    """A new unprotected RSA signing key in its own GnuPG home; the gpg-agent that home
    starts is stopped when the block ends."""
    directory.mkdir(mode=0o700, parents=True)
    gpg = ["gpg", "--batch", "--homedir", str(directory)]
    try:
        subprocess.run(
            [*gpg, "--passphrase", "", "--quick-gen-key", KEY_NAME, "rsa2048", "sign", "never"],
            check=True,
            capture_output=True,
        )
        listing = subprocess.run(
            [*gpg, "--list-keys", "--with-colons"], check=True, capture_output=True, text=True
        ).stdout
        [long_id] = [line.split(":")[4] for line in listing.splitlines() if line.startswith("pub:")]
        yield SigningKey(directory, long_id)
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(directory), "--kill", "all"],
            capture_output=True,
            check=False,
        )


def signed_copy(rpm: Path, key: SigningKey, out_dir: Path) -> Path:
    """A copy of the rpm signed with the key (rpmsign --addsign)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    copy = out_dir / rpm.name
    shutil.copy2(rpm, copy)
    subprocess.run(
        [
            "rpmsign",
            "--define",
            f"_gpg_name {KEY_NAME}",
            "--define",
            f"_gpg_path {key.gnupghome}",
            "--define",
            "__gpg /usr/bin/gpg",
            "--addsign",
            str(copy),
        ],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    return copy
