"""The async client's typing stub (``AsyncCfgActions``, read by type checkers only) declares every
public method of ``CfgActions`` as a coroutine with exactly the same parameters and return model,
so the two cannot drift apart unnoticed."""

from __future__ import annotations

import ast
from pathlib import Path

import airflow_provider_cfg.api.methods as methods

TREE = ast.parse(Path(methods.__file__).read_text())


def _class(name: str) -> ast.ClassDef:
    return next(node for node in ast.walk(TREE) if isinstance(node, ast.ClassDef) and node.name == name)


def _public_methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {
        node.name: node for node in cls.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
    }


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, str]:
    return ast.unparse(node.args), ast.unparse(node.returns) if node.returns else ""


def test_the_async_stub_matches_the_sync_methods():
    sync = _public_methods(_class("CfgActions"))
    stub = _public_methods(_class("AsyncCfgActions"))
    assert len(sync) >= 17  # every CFG action, plus the pause/resume/end helpers
    assert sorted(stub) == sorted(sync)
    for name, node in stub.items():
        assert isinstance(node, ast.AsyncFunctionDef), f"{name} is not declared async in the stub"
        assert _signature(node) == _signature(sync[name]), name


def test_the_sync_methods_exist_on_both_clients_at_run_time():
    from airflow_provider_cfg.api.client import AsyncCfgClient, CfgClient

    for name in _public_methods(_class("CfgActions")):
        assert getattr(CfgClient, name) is getattr(methods.CfgActions, name)
        assert getattr(AsyncCfgClient, name) is getattr(methods.CfgActions, name)
