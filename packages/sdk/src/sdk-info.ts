// The SDK's own name and version, reported as telemetry.sdk.* resource attributes.

export const SDK_NAME = "@traceledger/sdk";
export const SDK_VERSION = "0.1.0";
