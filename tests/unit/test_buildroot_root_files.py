"""The files mock writes into every root, as a buildroot gets them."""

import re

from adjutant.buildroot.root_files import (
    HOSTS_PATH,
    MACHINE_ID_PATH,
    MOCK_HOSTS,
    RESOLV_CONF_PATH,
    root_files,
)


def test_a_root_without_network_gets_mocks_hosts_and_an_empty_resolv_conf() -> None:
    files = root_files(has_network=False)
    assert files[HOSTS_PATH] == MOCK_HOSTS
    assert MOCK_HOSTS.splitlines()[0] == "127.0.0.1 localhost localhost.localdomain"
    assert files[RESOLV_CONF_PATH] == ""


def test_a_root_with_network_keeps_podmans_resolv_conf() -> None:
    files = root_files(has_network=True)
    assert RESOLV_CONF_PATH not in files and files[HOSTS_PATH] == MOCK_HOSTS


def test_every_root_gets_a_fresh_machine_id() -> None:
    first, second = (root_files(has_network=False)[MACHINE_ID_PATH] for _ in range(2))
    assert re.fullmatch(r"[0-9a-f]{32}\n", first) and first != second
