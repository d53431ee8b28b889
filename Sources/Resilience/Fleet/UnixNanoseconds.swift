/// Saturating arithmetic on the fleet's times: integer nanoseconds since the Unix epoch, which come
/// from other processes and a shared store and so may be anything.
extension Int64 {
    /// `self - other`, saturated to the `Int64` range.
    @inline(__always)
    func saturatingMinus(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }

    /// `self + other`, saturated to the `Int64` range (either sign).
    @inline(__always)
    func saturatingPlus(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }
}
