"""A local stand-in for the Hugging Face Hub's HTTP API, as huggingface_hub calls it.

It answers on 127.0.0.1 (port chosen by the OS) the requests the library makes for
`hf_hub_download(repo, "config.json")` and `HfApi.get_safetensors_metadata(repo)`:

    HEAD/GET /{org}/{name}/resolve/{revision}/{filename}     (GET honours "Range: bytes=a-b" with 206)
    GET      /api/models/{org}/{name}[/revision/{revision}]  (model info, answered for completeness)

with the headers the library reads (X-Repo-Commit, ETag, Content-Length) and the Hub's error answers:
404 + X-Error-Code RepoNotFound / EntryNotFound / RevisionNotFound, 401/403 + X-Error-Code GatedRepo.
Every request is logged (method, path, range) so tests can check that no weights were downloaded.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class FakeRepo:
    files: dict[str, bytes]
    gated: bool = False
    token: str | None = None
    """With gated: the token that is let in."""
    revisions: tuple[str, ...] = ("main",)


@dataclass
class FakeHub:
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    log: list[tuple[str, str, str | None]] = field(default_factory=list)
    anonymous_missing_status: int = 404
    """The real Hub answers 401 (RepoNotFound) to a request without a token for a repo it will not show."""

    def add(self, repo: str, files: dict[str, bytes | dict | str], **kwargs) -> None:
        encoded = {}
        for name, content in files.items():
            if isinstance(content, dict):
                content = json.dumps(content, indent=2)
            encoded[name] = content.encode() if isinstance(content, str) else content
        self.repos[repo] = FakeRepo(encoded, **kwargs)

    def served_bytes(self) -> int:
        """Bytes of file bodies the server sent (ranges count their length)."""
        return sum(size for _, _, size in self._sizes)

    _sizes: list[tuple[str, str, int]] = field(default_factory=list)


def safetensors_file(tensors: dict[str, tuple[str, list[int]]], bytes_per: dict[str, float],
                     data: bool = False) -> bytes:
    """A safetensors file: 8-byte length, JSON header with data_offsets, then (with data) zeros for the tensor data."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        count = 1
        for dim in shape:
            count *= dim
        size = int(count * bytes_per[dtype])
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + (b"\0" * offset if data else b"")


_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_API = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(/revision/(?P<rev>[^/]+))?$")


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def _error(self, status: int, code: str, message: str) -> None:
            body = json.dumps({"error": message}).encode()
            self.send_response(status)
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _repo(self, name: str) -> FakeRepo | None:
            repo = hub.repos.get(name)
            if repo is None:
                anonymous = self.headers.get("Authorization") is None
                self._error(hub.anonymous_missing_status if anonymous else 404, "RepoNotFound", "Repository not found")
                return None
            if repo.gated and self.headers.get("Authorization") != f"Bearer {repo.token}":
                self._error(403, "GatedRepo", "Access to model is restricted: you must be authenticated and accept its license")
                return None
            return repo

        def _serve(self) -> None:
            path = unquote(self.path.split("?", 1)[0])
            hub.log.append((self.command, path, self.headers.get("Range")))
            match = _API.match(path)
            if match:
                repo = self._repo(match["repo"])
                if repo is not None:
                    body = json.dumps({"id": match["repo"], "sha": COMMIT,
                                       "siblings": [{"rfilename": f} for f in repo.files]}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                return
            match = _RESOLVE.match(path)
            if not match:
                self._error(404, "RepoNotFound", "Repository not found")
                return
            repo = self._repo(match["repo"])
            if repo is None:
                return
            if match["rev"] not in (*repo.revisions, COMMIT):
                self._error(404, "RevisionNotFound", "Invalid rev id")
                return
            content = repo.files.get(match["file"])
            if content is None:
                self._error(404, "EntryNotFound", "Entry not found")
                return
            status, body, extra = 200, content, {}
            wanted = self.headers.get("Range")
            if wanted and self.command == "GET":
                start_s, _, end_s = wanted.removeprefix("bytes=").partition("-")
                start, end = int(start_s), min(int(end_s or len(content) - 1), len(content) - 1)
                status, body = 206, content[start:end + 1]
                extra["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
            self.send_response(status)
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", f'"{hashlib.sha256(content).hexdigest()}"')
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command == "GET":
                hub._sizes.append((self.command, path, len(body)))
                self.wfile.write(body)

        do_GET = _serve
        do_HEAD = _serve

    return Handler


class HubServer:
    """Run a FakeHub on 127.0.0.1 in a thread; `url` is what HF_ENDPOINT gets."""

    def __init__(self, hub: FakeHub):
        self.hub = hub
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> HubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
