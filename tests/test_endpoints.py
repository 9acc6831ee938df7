"""Every endpoint the app serves, found by asking the app, not by a list someone keeps.

A new event, tool or page handler is covered here the day it is added: it is read from
``/gradio_api/info?all_endpoints=true`` (documented or not, the agents' tools included).
"""

from __future__ import annotations

import asyncio
import base64
import io
import re
import time
import zipfile

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

PHOTO = ROOT / "examples" / "packaging_small.png"
MODEL_PARAMETER = re.compile(r"model|base|weights")
"""What a parameter that names a model is called (``model``, ``model_id``, ``model_a``, ``base_id`` ...)."""


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def endpoints(app_url) -> dict[str, dict]:
    import httpx

    info = httpx.get(f"{app_url}/gradio_api/info", params={"all_endpoints": "true"}, timeout=30).json()
    return info["named_endpoints"]


@pytest.fixture(scope="module")
def weights_on_server(tmp_path_factory):
    """A real weights file outside every folder the app serves or owns."""
    from safetensors.torch import save_file

    from conftest import make_compact

    path = tmp_path_factory.mktemp("server-only") / "secret_x2.safetensors"
    save_file(make_compact(2), str(path))
    return path


def _value(param: dict, client, model_ref: str):
    """A plausible value for one parameter, from its type in the app's own description."""
    from gradio_client import handle_file

    name, kind = param["parameter_name"], str(param.get("python_type", {}).get("type", ""))
    if MODEL_PARAMETER.search(name):
        return model_ref
    if name == "key":
        return client.predict("", api_name="/owner_key")  # a fresh owner each call: nothing carries over
    if kind == "filepath":
        return handle_file(str(PHOTO))
    if kind == "list[filepath]":
        return [handle_file(str(PHOTO))]
    if kind.startswith("Literal["):
        return re.findall(r"'([^']*)'", kind)[0]
    if param.get("parameter_has_default"):
        return param["parameter_default"]
    return {"float": 2.0, "int": 2, "bool": False}.get(kind, "")


def _answer(client, api_name: str, args: list, path: str) -> str:
    """What the endpoint says, as text, with the path named in it and anything that varies per call made neutral."""
    try:
        out = repr(client.predict(*args, api_name=api_name))
    except Exception as exc:  # gr.Error reaches the client as an exception carrying the page's sentence
        out = f"error: {exc}"
    out = out.replace(path, "MODEL").replace(path.split("/")[-1], "MODEL")
    out = re.sub(r"/tmp/[^'\"\s,)]+", "FILE", out)
    return re.sub(r"\d+(\.\d+)?", "N", out)


def test_every_endpoint_answers_a_server_path_exactly_as_a_missing_one(client, endpoints, weights_on_server):
    """A stranger learns nothing of the server's files through any parameter that names a model, and runs none of them."""
    present, missing = str(weights_on_server), str(weights_on_server.with_name("absent_x2.safetensors"))
    checked = []
    for api_name, spec in endpoints.items():
        params = spec["parameters"]
        if not any(MODEL_PARAMETER.search(p["parameter_name"]) for p in params):
            continue
        answers = [
            _answer(client, api_name, [_value(p, client, ref) for p in params], ref) for ref in (present, missing)
        ]
        assert answers[0] == answers[1], f"{api_name} tells a server file from a missing one:\n{answers[0]}\n{answers[1]}"
        assert "secret" not in answers[0].replace("MODEL", ""), answers[0]
        checked.append(api_name)
    # the sweep reached the endpoints this was written against (a rename must not empty it silently)
    assert {"/upscale", "/estimate", "/preview", "/compare", "/batch_start", "/upscale_product_photo",
            "/upscale_many_photos", "/train_base_scale"} <= set(checked)


def test_the_agents_upscale_tool_runs_no_file_from_the_server(app_url, client, weights_on_server):
    """An uploaded weights file is a server path too: naming it gets the same refusal as naming nothing."""
    import httpx
    from gradio_client import handle_file

    with open(weights_on_server, "rb") as fh:
        uploaded = httpx.post(f"{app_url}/gradio_api/upload", files={"files": fh}, timeout=30).json()[0]
    for ref in (str(weights_on_server), uploaded):
        with pytest.raises(Exception, match="Unknown model") as err:
            client.predict(handle_file(str(PHOTO)), "none", 2, ref, api_name="/upscale_product_photo")
        assert str(err.value).endswith("'. Pick one from the list, or use the Hub fields.")


def _wait(client, batch_id: str) -> tuple[str, str | None]:
    deadline = time.time() + 180
    while time.time() < deadline:
        status, zip_path = client.predict(batch_id, api_name="/batch_progress")
        if status.startswith("Finished"):
            return status, zip_path
        time.sleep(0.5)
    raise AssertionError(f"batch did not finish: {status}")


def test_a_batch_is_seen_only_with_its_id(app_url, client, tmp_path):
    """Client A starts a batch; client B, in another session, guesses ids and learns nothing, and cannot cancel it."""
    from gradio_client import Client, handle_file

    other = Client(app_url, verbose=False)
    never = other.predict("", api_name="/owner_key")
    unknown = (other.predict("k1.batch.no-batch", api_name="/batch_progress"), other.predict(never, api_name="/batch_progress"))
    status, batch_id = client.predict(handle_file(str(PHOTO)), "none", 2, "lanczos", api_name="/upscale_many_photos")
    tampered = batch_id[:-1] + ("0" if batch_id[-1] != "0" else "1")
    for guess in ("test", "", "agent-7f3a", tampered, batch_id.rsplit(".", 1)[0]):
        assert other.predict(guess, api_name="/batch_progress") == unknown[0] == unknown[1]
        assert other.predict(guess, api_name="/batch_cancel") == "No batch is running."
        assert other.predict(guess, api_name="/batch_status")[0] == "No batch yet."
    status, zip_path = _wait(client, batch_id)
    assert status.startswith("Finished: 1 of 1 done") and zip_path
    assert other.predict(batch_id, api_name="/batch_progress")[0] == status  # the id itself is the access


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def test_the_agents_tools_work_through_a_real_mcp_client(app_url, tmp_path):
    """The ``mcp`` package's own client, as an agent would use it: one photo, then a batch of a zip, followed by its id."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    photo = PHOTO.read_bytes()
    delivery = io.BytesIO()
    with zipfile.ZipFile(delivery, "w") as zf:
        zf.writestr("front.png", photo)
        zf.writestr("shelf/back.png", photo)

    async def agent() -> tuple[set, str, str, str]:
        async with streamablehttp_client(f"{app_url}/gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = {t.name for t in (await session.list_tools()).tools}
                one = await session.call_tool("upscale_product_photo", {
                    "photo": _data_uri(photo, "image/png"), "preset": "none", "scale": 2, "model": "lanczos"})
                assert not one.isError, one.content
                many = await session.call_tool("upscale_many_photos", {
                    "photos": _data_uri(delivery.getvalue(), "application/zip"), "preset": "none", "scale": 2,
                    "model": "lanczos"})
                assert not many.isError, many.content
                batch_id = re.search(r"k1\.batch\.[0-9a-f]+\.[0-9a-f]+", str(many.content)).group(0)
                deadline = time.time() + 180
                while time.time() < deadline:
                    progress = await session.call_tool("batch_progress", {"batch_id": batch_id})
                    if "Finished" in str(progress.content):
                        break
                    await asyncio.sleep(0.5)
                guessed = await session.call_tool("batch_progress", {"batch_id": "test"})
                return tools, str(one.content), str(progress.content), str(guessed.content)

    tools, one, progress, guessed = asyncio.run(agent())
    assert {"upscale_product_photo", "upscale_many_photos", "batch_progress", "batch_cancel"} <= tools
    assert "packaging_small" in one or "_lanczos_x2.png" in one
    assert "Finished: 2 of 2 done" in progress and ".zip" in progress
    assert "No batch yet." in guessed and "Finished" not in guessed
