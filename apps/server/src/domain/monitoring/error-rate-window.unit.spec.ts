import { describe, expect, it } from "vitest";
import { countBuckets, newErrorRateWindow, recordEnded } from "./error-rate-window.js";

const counts = () => ({ ended: 0, errored: 0 });

describe("error-rate window", () => {
  it("counts ended and errored spans per bucket", () => {
    const w = newErrorRateWindow(6);
    recordEnded(w, 100, false);
    recordEnded(w, 100, true);
    recordEnded(w, 101, true);
    expect(countBuckets(w, 95, 101, counts())).toEqual({ ended: 3, errored: 2 });
    expect(countBuckets(w, 101, 101, counts())).toEqual({ ended: 1, errored: 1 });
  });

  it("a bucket that left the range is not counted, though still in its slot", () => {
    const w = newErrorRateWindow(6);
    recordEnded(w, 100, true);
    expect(countBuckets(w, 101, 106, counts())).toEqual({ ended: 0, errored: 0 });
  });

  it("a later bucket reuses the slot of one a window older, starting from zero", () => {
    const w = newErrorRateWindow(6);
    recordEnded(w, 100, true);
    recordEnded(w, 106, false);
    expect(countBuckets(w, 0, 200, counts())).toEqual({ ended: 1, errored: 0 });
  });
});
