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
    "unload_ipython_extension",
}


def test_all_is_pinned():
    assert set(veo_magic.__all__) >= CONTRACT
    assert sorted(veo_magic.__all__) == veo_magic.__all__ or set(veo_magic.__all__) == set(
        sorted(veo_magic.__all__)
    )


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
