import { eventStoreContract } from "../event-store.contract.js";
import { InMemoryEventStore } from "./in-memory-event-store.js";

eventStoreContract("in-memory", async (clock) => new InMemoryEventStore({ clock }));
