/// A lock and the state it guards, as a class, so that a limiter and its pipeline views share one.
@usableFromInline
final class AnnotatedMutexBox<Value>: Sendable {
    /// The state, behind the lock.
    @usableFromInline
    let value: AnnotatedMutex<Value>

    init(_ value: sending Value) {
        self.value = AnnotatedMutex(value)
    }
}
