import Resilience
import ResilienceHTTP
import ResilienceTestKit
import Testing

@Suite("The wall clock")
struct WallClockTests {
    @Test("A fixed wall clock reads its instant")
    func fixed() {
        #expect(WallClock.fixed(unixNanoseconds: 42).unixNanoseconds == 42)
    }

    @Test("A wall clock following a manual clock moves with it")
    func following() {
        let clock = ManualClock()
        let wall = WallClock(clock, unixNanosecondsAtStart: tuesdayNoon)
        #expect(wall.unixNanoseconds == tuesdayNoon)
        clock.advance(by: .milliseconds(1_500))
        #expect(wall.unixNanoseconds == tuesdayNoon + 1_500_000_000)
    }

    @Test("A following wall clock saturates instead of overflowing")
    func saturates() {
        let clock = ManualClock()
        let wall = WallClock(clock, unixNanosecondsAtStart: .max - 1)
        clock.advance(by: .seconds(1))
        #expect(wall.unixNanoseconds == .max)
    }

    @Test("The system wall clock reads a time after 2025")
    func system() {
        #expect(WallClock.system.unixNanoseconds > 1_735_689_600 * 1_000_000_000)
    }
}
