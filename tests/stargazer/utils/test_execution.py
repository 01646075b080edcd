from stargazer.utils import execution_context


def test_local_config_is_local_with_persistence(workspace):
    context = execution_context()
    assert context.mode == "local"
    assert context.endpoint is None
    assert context.persistence is True
    assert context.config_path == (workspace / ".flyte" / "config.yaml").resolve()
    assert "local" in context.describe()


def test_remote_config_names_the_endpoint(tmp_path):
    config = tmp_path / "remote.yaml"
    config.write_text(
        "admin:\n  endpoint: dns:///flyte.example.org\n"
        "task:\n  project: stargazer\n  domain: development\n"
    )
    context = execution_context(config)
    assert context.mode == "remote"
    assert context.endpoint == "dns:///flyte.example.org"
    assert context.project == "stargazer"
    assert "flyte.example.org" in context.describe()
