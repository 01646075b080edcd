from stargazer.utils import execution_context, run_targets


def test_local_only_when_no_cluster_is_configured(workspace):
    local, cluster = run_targets(execution_context())
    assert (local.mode, local.available) == ("local", True)
    assert (cluster.mode, cluster.available) == ("remote", False)
    assert "admin: endpoint:" in cluster.reason and "config.yaml" in cluster.reason


def test_cluster_first_when_the_config_names_one(tmp_path):
    config = tmp_path / "remote.yaml"
    config.write_text("admin:\n  endpoint: dns:///flyte.example.org\n")
    cluster, local = run_targets(execution_context(config))
    assert cluster.available and cluster.mode == "remote" and "flyte.example.org" in cluster.label
    assert local.available and local.mode == "local"
