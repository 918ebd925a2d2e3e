"""Media-server clients against fake Jellyfin, Emby, Plex and Kodi servers on real sockets:
the requests they document, auth failures, slow and down servers."""

from __future__ import annotations

import base64

import pytest

from tests.fakes.media_servers import free_port, running
from videotheque.commands.adapters.notifiers import ServerConfig, deliver, server_path

VIDEO = "/srv/lib/video"
TOKEN = "secret-token"
ENV = {"MS_TOKEN": TOKEN}
UPDATES = [
    {"folder": "Films/Heat (1995)", "type": "Created"},
    {"folder": "Series/Kaamelott/Season 01", "type": "Modified"},
]


def server(kind: str, url: str, **kw: object) -> ServerConfig:
    return ServerConfig(name=kind, kind=kind, url=url, token_env="MS_TOKEN", **kw)  # type: ignore[arg-type]


def test_jellyfin_is_told_each_folder_with_its_update_type() -> None:
    with running("jellyfin", token=TOKEN) as fake:
        out = deliver(server("jellyfin", fake.url), VIDEO, UPDATES, env=ENV)
    assert out.ok and out.status == 204
    assert fake.jellyfin_updates() == [
        {"Path": "/srv/lib/video/Films/Heat (1995)", "UpdateType": "Created"},
        {"Path": "/srv/lib/video/Series/Kaamelott/Season 01", "UpdateType": "Modified"},
    ]
    headers = fake.requests[0]["headers"]
    assert headers["Authorization"] == f'MediaBrowser Token="{TOKEN}"'
    assert [t["path"] for t in out.told] == [u["Path"] for u in fake.jellyfin_updates()]


def test_emby_gets_its_token_header_and_a_path_mapping() -> None:
    with running("emby", token=TOKEN) as fake:
        cfg = server("emby", fake.url, map_from="/srv/lib", map_to="/media")
        out = deliver(cfg, VIDEO, UPDATES[:1], env=ENV)
    assert out.ok
    assert fake.requests[0]["headers"]["X-Emby-Token"] == TOKEN
    assert fake.jellyfin_updates()[0]["Path"] == "/media/video/Films/Heat (1995)"


def test_a_wrong_token_is_an_auth_failure_that_never_shows_the_token() -> None:
    with running("jellyfin", token="the-right-one") as fake:
        out = deliver(server("jellyfin", fake.url), VIDEO, UPDATES, env=ENV)
    assert not out.ok and out.auth and out.status == 401
    assert TOKEN not in (out.reason or "")


def test_jellyfin_refuses_the_legacy_header_we_never_send_it() -> None:
    """Jellyfin 10.12+ ignores X-Emby-Token by default: the fake does too, so a client
    sending it would fail here as it would against a real server."""
    import httpx

    with running("jellyfin", token=TOKEN) as fake:
        legacy = httpx.post(f"{fake.url}/Library/Media/Updated", json={"Updates": []},
                            headers={"X-Emby-Token": TOKEN})  # fmt: skip
        out = deliver(server("jellyfin", fake.url), VIDEO, UPDATES, env=ENV)
    assert legacy.status_code == 401
    assert out.ok and "X-Emby-Token" not in fake.requests[-1]["headers"]


def test_a_token_with_its_newline_is_sent_without_it() -> None:
    with running("jellyfin", token=TOKEN) as fake:
        out = deliver(
            server("jellyfin", fake.url), VIDEO, UPDATES, env={"MS_TOKEN": TOKEN + "\r\n"}
        )
    assert out.ok and out.status == 204


@pytest.mark.parametrize("kind", ["jellyfin", "emby", "plex"])
def test_a_token_no_header_can_carry_is_refused_without_showing_it(kind: str) -> None:
    bad = "s3cret\x01inside"
    with running(kind, token=bad, sections={"1": [VIDEO]}) as fake:
        out = deliver(server(kind, fake.url), VIDEO, UPDATES, env={"MS_TOKEN": bad})
    assert not out.ok and out.auth and "MS_TOKEN" in (out.reason or "")
    assert "s3cret" not in (out.reason or "")
    assert fake.requests == []


def test_an_unset_token_variable_is_reported_without_a_request() -> None:
    with running("jellyfin", token=TOKEN) as fake:
        out = deliver(server("jellyfin", fake.url), VIDEO, UPDATES, env={})
    assert not out.ok and out.auth and "MS_TOKEN" in (out.reason or "")
    assert fake.requests == []


def test_plex_refreshes_the_section_holding_each_folder() -> None:
    sections = {"1": ["/data/video/Films"], "2": ["/data/video/Series", "/other/tv"]}
    with running("plex", token=TOKEN, sections=sections) as fake:
        cfg = server("plex", fake.url, map_from=VIDEO, map_to="/data/video")
        out = deliver(cfg, VIDEO, [*UPDATES, {"folder": "Docs/X", "type": "Created"}], env=ENV)
    assert out.ok
    assert fake.plex_refreshes() == [
        ("1", "/data/video/Films/Heat (1995)"),
        ("2", "/data/video/Series/Kaamelott/Season 01"),
    ]
    assert all(r["headers"].get("X-Plex-Token") == TOKEN for r in fake.requests)
    assert all("X-Plex-Token" not in r["query"] for r in fake.requests)  # never in a URL
    assert [d["folder"] for d in out.dropped] == ["Docs/X"]  # no section holds it
    assert "no Plex section holds" in (out.reason or "")


def test_plex_scans_the_parent_of_a_deleted_folder() -> None:
    with running("plex", token=TOKEN, sections={"1": [VIDEO]}) as fake:
        out = deliver(server("plex", fake.url), VIDEO,
                      [{"folder": "Films/Gone (2001)", "type": "Deleted"}], env=ENV)  # fmt: skip
    assert out.ok and fake.plex_refreshes() == [("1", f"{VIDEO}/Films")]


def test_plex_refusing_the_token() -> None:
    with running("plex", token="other", sections={"1": [VIDEO]}) as fake:
        out = deliver(server("plex", fake.url), VIDEO, UPDATES, env=ENV)
    assert not out.ok and out.auth and out.status == 401


def test_kodi_scans_each_directory_with_basic_auth() -> None:
    with running("kodi", token=TOKEN, user="kodi") as fake:
        out = deliver(server("kodi", fake.url, user="kodi"), VIDEO, UPDATES, env=ENV)
    assert out.ok
    assert fake.kodi_scans() == [
        "/srv/lib/video/Films/Heat (1995)/",
        "/srv/lib/video/Series/Kaamelott/",  # a season folder: its show's
    ]
    auth = fake.requests[0]["headers"]["Authorization"]
    assert base64.b64decode(auth.split()[1]).decode() == f"kodi:{TOKEN}"


def test_kodi_wrong_password() -> None:
    with running("kodi", token="other") as fake:
        out = deliver(server("kodi", fake.url), VIDEO, UPDATES, env=ENV)
    assert not out.ok and out.auth and out.status == 401


@pytest.mark.parametrize("kind", ["jellyfin", "plex", "kodi"])
def test_a_server_that_is_down_is_reported_not_raised(kind: str) -> None:
    out = deliver(server(kind, f"http://127.0.0.1:{free_port()}"), VIDEO, UPDATES, env=ENV)
    assert not out.ok and not out.auth and "unreachable" in (out.reason or "")


def test_a_slow_server_hits_the_timeout() -> None:
    with running("jellyfin", token=TOKEN, delay=2.0) as fake:
        out = deliver(server("jellyfin", fake.url, timeout=0.3), VIDEO, UPDATES, env=ENV)
    assert not out.ok and not out.auth and "no answer within 0.3 s" in (out.reason or "")


def test_a_server_error_is_retried_later_not_an_auth_problem() -> None:
    with running("jellyfin", token=TOKEN, status=503) as fake:
        out = deliver(server("jellyfin", fake.url), VIDEO, UPDATES, env=ENV)
    assert not out.ok and not out.auth and out.status == 503


def test_path_mapping_only_rewrites_paths_under_from() -> None:
    cfg = ServerConfig("j", "jellyfin", "http://x", map_from="/srv/lib", map_to="/media")
    assert server_path(cfg, VIDEO, "Films/A") == "/media/video/Films/A"
    assert server_path(cfg, VIDEO, "") == "/media/video"
    other = ServerConfig("j", "jellyfin", "http://x", map_from="/elsewhere", map_to="/m")
    assert server_path(other, VIDEO, "Films/A") == "/srv/lib/video/Films/A"


def test_a_redirect_is_not_followed_and_says_where_to_point_the_url() -> None:
    """Jellyfin set to require HTTPS answers 308: the token is never sent to an address
    config.toml did not name, and a person is told to change the url."""
    with (
        running("jellyfin", token=TOKEN) as there,
        running("jellyfin", token=TOKEN, redirect=there.url) as here,
    ):
        out = deliver(server("jellyfin", here.url), VIDEO, UPDATES, env=ENV)
    assert not out.ok and out.auth and out.status == 308
    assert f"a redirect to {there.url}" in (out.reason or "")
    assert there.requests == []  # not followed
