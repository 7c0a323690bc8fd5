import { ConnectError } from "@connectrpc/connect";

/** The ConnectError a call failed with; fails the test if the call succeeded. */
export async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail, but it succeeded");
}
