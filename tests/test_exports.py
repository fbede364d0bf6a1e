"""The public façade: names other people's code (and tests outside this repo) rely on."""

import veo_magic

CONTRACT = {
    "Client",
    "Job",
    "VideoRequest",
    "VeoError",
    "VeoInputError",
    "VeoAPIError",
    "VeoGenerationError",
    "load_ipython_extension",
    "storyboard",
    "unload_ipython_extension",
}


# Every public name, in order: adding or dropping one is a decision this list records
# (httpx's tests/test_exported_members.py).
PUBLIC = [
    "Client",
    "Completed",
    "Downloaded",
    "Failed",
    "Job",
    "Progress",
    "Secret",
    "Storyboard",
    "Submitted",
    "VeoAPIError",
    "VeoBudgetError",
    "VeoCancelledError",
    "VeoDownloadError",
    "VeoError",
    "VeoGenerationError",
    "VeoInputError",
    "VeoTaskUncertainError",
    "VideoReady",
    "VideoRequest",
    "__version__",
    "batch",
    "form",
    "load_ipython_extension",
    "storyboard",
    "unload_ipython_extension",
]


def test_all_is_pinned():
    assert veo_magic.__all__ == PUBLIC
    assert set(PUBLIC) >= CONTRACT


def test_every_exported_name_resolves():
    for name in veo_magic.__all__:
        assert getattr(veo_magic, name) is not None, name


def test_exception_tree():
    assert issubclass(veo_magic.VeoInputError, veo_magic.VeoError)
    assert issubclass(veo_magic.VeoInputError, ValueError)
    assert issubclass(veo_magic.VeoAPIError, veo_magic.VeoError)
    assert issubclass(veo_magic.VeoGenerationError, veo_magic.VeoError)
    assert issubclass(veo_magic.VeoBudgetError, veo_magic.VeoInputError)
    err = veo_magic.VeoGenerationError("refused by the relay", task_id="video_1")
    assert err.task_id == "video_1" and "video_1" in str(err)
    api = veo_magic.VeoAPIError("nope", status_code=401, code="invalid_api_key")
    assert api.status_code == 401 and api.code == "invalid_api_key"
