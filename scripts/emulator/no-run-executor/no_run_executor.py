"""A LocalStack Lambda runtime executor that creates functions and runs none (see pyproject.toml for why)."""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor

REFUSAL = "function code does not run in the deploy emulator (no Docker); the local runtime suites run it"


class NoRunExecutor(RuntimeExecutor):
    # Preparing a version is what CreateFunction waits on: nothing to prepare, so every function becomes Active.
    @classmethod
    def prepare_version(cls, function_version) -> None:
        pass

    @classmethod
    def cleanup_version(cls, function_version) -> None:
        pass

    # Starting an environment is the first step of every invocation: refuse it, so an invocation fails at once
    # (API Gateway answers 502) instead of waiting for a runtime that never reports.
    def start(self, env_vars: dict[str, str]) -> None:
        raise LambdaRuntimeException(REFUSAL)

    def stop(self) -> None:
        pass

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        return "http://127.0.0.1/_localstack_lambda/no-run"

    def invoke(self, payload):
        raise LambdaRuntimeException(REFUSAL)

    def get_logs(self) -> str:
        return ""


class NoRunExecutorPlugin(RuntimeExecutorPlugin):
    name = "no-run"

    def load(self, *args, **kwargs):
        return NoRunExecutor
