"""core/plan/catalogue.py: the read-only lookups a plan makes, each answer read once."""

from __future__ import annotations

from airflow_provider_cfg.api.errors import CfgApiError
from airflow_provider_cfg.core.plan.catalogue import Catalogue
from tests.airflow_helpers import make_client
from tests.unit.core.plan.helpers import Recorder


def test_each_answer_is_read_once(cfg_emulator):
    recorder = Recorder()
    with make_client(cfg_emulator, transport=recorder) as cfg:
        catalogue = Catalogue(cfg)
        assert catalogue.object_types()[1].ObjectTypeTitle == "Cloud Virtual Machine (CVM)"
        assert catalogue.object_type_title(2) == "TencentDB for MySQL"
        assert catalogue.object_type_title(None) is None and catalogue.object_type_title(999) is None
        assert sorted(catalogue.library(1, [462, 463])) == [462, 463]
        assert sorted(catalogue.library(1, [462])) == [462]
        general, custom = catalogue.schemas(1, [462])[462]
        assert general is not None and custom is not None
        assert {d.Field for d in custom.ConfigDetail or []} >= {"interfaces", "percent"}
        catalogue.schemas(1, [462])
    assert recorder.actions == [
        "DescribeObjectTypeList", "DescribeActionLibraryList", "DescribeActionFieldConfigList"]


def test_find_looks_through_the_object_types(client):
    catalogue = Catalogue(client)
    found = catalogue.find([462, 201, 98765])
    assert sorted(found) == [201, 462]  # an unknown action is simply not found
    assert (found[462].ObjectTypeId, found[201].ObjectTypeId) == (1, 2)


def test_find_skips_an_object_type_whose_listing_is_refused(client, mocker):
    catalogue = Catalogue(client)
    listing = client.describe_action_library_list

    def refuse_cvm(object_type, **kwargs):
        if object_type == 1:
            raise CfgApiError("UnsupportedOperation", "no", "r-1", "DescribeActionLibraryList")
        return listing(object_type, **kwargs)

    mocker.patch.object(client, "describe_action_library_list", side_effect=refuse_cvm)
    assert sorted(catalogue.find([201])) == [201]
