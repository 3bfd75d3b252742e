"""One way to reach Temporal, shared by the worker, the API, the CLI and the tests.

The data converter is built in one place so every client, worker and replayer
speaks the same payload format: pydantic models, encrypted with the payload
keys from the settings (dualpath/codec.py: each workflow's payloads under its
region's key), failure messages and stack traces included.
"""

from __future__ import annotations

import dataclasses

from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from dualpath.codec import EncryptionCodec, PayloadConverter
from dualpath.infra.errors import SetupError
from dualpath.settings import Settings, get_settings


def data_converter(settings: Settings | None = None) -> DataConverter:
    """The converter for `settings`' payload keys (`get_settings()` when None)."""
    if settings is None:
        settings = get_settings()
    return dataclasses.replace(
        pydantic_data_converter,
        # Refuses, when read, what the codec would not pass on (dualpath/codec.py).
        payload_converter_class=PayloadConverter,
        payload_codec=EncryptionCodec.from_settings(settings),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def _tls(settings: Settings) -> TLSConfig | bool:
    if not settings.temporal_tls:
        return False
    read = lambda p: p.read_bytes() if p else None  # noqa: E731
    return TLSConfig(
        client_cert=read(settings.temporal_tls_client_cert),
        client_private_key=read(settings.temporal_tls_client_key),
        server_root_ca_cert=read(settings.temporal_tls_server_ca),
    )


def metrics_runtime(bind_address: str) -> Runtime:
    """A runtime whose SDK metrics (workflow/activity task latencies, failures,
    schedule-to-start) Prometheus scrapes at `bind_address`."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=data_converter(settings),
            tls=_tls(settings) if not settings.temporal_api_key else True,
            api_key=settings.temporal_api_key,
            runtime=runtime,
        )
    except RuntimeError as exc:
        raise SetupError(
            f"Temporal at {settings.temporal_address} cannot be reached ({exc}); start it with "
            "`make run`, or set DUALPATH_TEMPORAL_ADDRESS to a running server"
        ) from exc
