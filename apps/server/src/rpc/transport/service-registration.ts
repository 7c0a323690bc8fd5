// One implementation of one service, as both doors serve it.

import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";

export interface ServiceRegistration {
  readonly service: DescService;
  /** Methods left out answer UNIMPLEMENTED. */
  readonly implementation: Partial<ServiceImpl<DescService>>;
}

/**
 * Checks the implementation against its own service before it joins a list of
 * registrations for different services, where TypeScript can no longer relate
 * the two.
 */
export function serviceRegistration<S extends DescService>(service: S, implementation: Partial<ServiceImpl<S>>): ServiceRegistration {
  return { service, implementation: implementation as Partial<ServiceImpl<DescService>> };
}
