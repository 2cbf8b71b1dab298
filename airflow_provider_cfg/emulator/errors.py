"""The error every emulator layer raises to answer with a CFG error envelope."""

from __future__ import annotations


class ApiError(Exception):
    """Answered as ``{"Response": {"Error": {"Code": code, "Message": message}, "RequestId": …}}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def not_found(what: str) -> ApiError:
    return ApiError("ResourceNotFound", what)


def bad_value(message: str) -> ApiError:
    return ApiError("InvalidParameterValue", message)


def failed(message: str) -> ApiError:
    return ApiError("FailedOperation", message)
