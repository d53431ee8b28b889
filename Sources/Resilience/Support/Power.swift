#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Android)
import Android
#elseif canImport(ucrt)
import ucrt
#endif

/// `base` raised to `exponent`, from the C library (the standard library has no `pow`).
@usableFromInline
func power(_ base: Double, _ exponent: Double) -> Double {
    pow(base, exponent)
}
