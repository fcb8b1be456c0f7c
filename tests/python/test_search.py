"""Run search (traces/search.jsonl): filters, order_by, page tokens; and Slipway's OR, IN, parentheses."""
import mlflow
import pytest
from mlflow.exceptions import MlflowException

from conftest import unique


@pytest.fixture()
def experiment(client):
    experiment_id = client.create_experiment(unique("search"))
    for i in range(12):
        run = client.create_run(experiment_id, run_name=f"run-{i:02d}", start_time=1_700_000_000_000 + i)
        client.log_param(run.info.run_id, "model_type", "xgb" if i % 3 == 0 else "lgbm")
        client.log_metric(run.info.run_id, "test_mae", 20.0 - i, step=0)
        client.set_tag(run.info.run_id, "fold", str(i % 4))
        client.set_terminated(run.info.run_id)
    return experiment_id


def names(runs):
    return [r.info.run_name for r in runs]


def test_filter_and_order(client, experiment):
    runs = client.search_runs([experiment], "metrics.test_mae < 12 and params.model_type = 'xgb'", order_by=["metrics.test_mae ASC"])
    assert names(runs) == ["run-09"]
    runs = client.search_runs([experiment], "metrics.test_mae < 15", order_by=["metrics.test_mae DESC"], max_results=3)
    assert names(runs) == ["run-06", "run-07", "run-08"]
    # Default order: newest start_time first.
    assert names(client.search_runs([experiment], "")) [:2] == ["run-11", "run-10"]
    assert names(client.search_runs([experiment], "attributes.status = 'FINISHED'", max_results=100)) == [f"run-{i:02d}" for i in reversed(range(12))]


def test_page_tokens(client, experiment):
    seen, token = [], None
    while True:
        page = client.search_runs([experiment], "", order_by=["metrics.test_mae ASC"], max_results=5, page_token=token)
        seen += names(page)
        token = page.token
        if not token:
            break
    assert seen == [f"run-{i:02d}" for i in reversed(range(12))]


def test_or_in_and_parentheses(client, experiment):
    runs = client.search_runs([experiment], "tags.fold = '0' OR metrics.test_mae <= 9", order_by=["attributes.run_name ASC"])
    assert names(runs) == ["run-00", "run-04", "run-08", "run-11"]
    runs = client.search_runs([experiment], "attributes.run_name IN ('run-01', 'run-02') AND params.model_type != 'xgb'")
    assert sorted(names(runs)) == ["run-01", "run-02"]
    runs = client.search_runs([experiment], "(params.model_type = 'xgb' OR tags.fold = '1') AND metrics.test_mae > 15", order_by=["run_name ASC"])
    assert names(runs) == ["run-00", "run-01", "run-03"]


def test_pandas_search_runs(client, experiment):
    frame = mlflow.search_runs([experiment], filter_string="params.model_type = 'xgb'", order_by=["metrics.test_mae ASC"])
    assert list(frame["tags.mlflow.runName"]) == ["run-09", "run-06", "run-03", "run-00"]
    assert list(frame["metrics.test_mae"]) == [11.0, 14.0, 17.0, 20.0]


def test_bad_filter_is_invalid_parameter(client, experiment):
    with pytest.raises(MlflowException) as err:
        client.search_runs([experiment], "metrics.test_mae <<< 10")
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "Invalid comparator '<<<'" in err.value.message
