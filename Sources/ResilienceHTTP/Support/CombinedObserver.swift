#if HTTP
import Resilience

/// `own` and `extra` together: `nil` when neither exists, the one when only one does.
func combinedObserver(_ own: (any ResilienceObserver)?, _ extra: (any ResilienceObserver)?) -> (any ResilienceObserver)? {
    guard let extra else { return own }
    guard let own else { return extra }
    return CompositeObserver([own, extra])
}

#endif
