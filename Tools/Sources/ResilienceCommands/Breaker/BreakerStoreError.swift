/// A circuit breaker state file (`resilience run --breaker FILE`) that cannot be used.
///
/// The ``message`` names the file and says what to do; ``exitStatus`` is what `resilience run` exits
/// with when the problem stops it before the command runs.
package struct BreakerStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem a ``BreakerStoreError`` reports.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case damaged, inaccessible
        }

        private let storage: Storage

        /// The file holds something other than a state this `resilience` can read: not JSON, a
        /// damaged state, or a later format version. Exit status 65 (`EX_DATAERR`).
        package static let damaged = Code(storage: .damaged)
        /// The file, its lock file or its directory cannot be read, created, locked or written: a
        /// missing directory, a directory in the file's place, a permission denied, a full disk.
        /// Exit status 74 (`EX_IOERR`).
        package static let inaccessible = Code(storage: .inaccessible)

        /// A short name of the code, such as `damaged`.
        package var description: String {
            switch storage {
            case .damaged: "damaged"
            case .inaccessible: "inaccessible"
            }
        }
    }

    /// What kind of problem this is.
    package var code: Code
    /// The state file's path, as given.
    package var path: String
    /// What is wrong and what to do, naming the file.
    package var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of problem this is.
    ///   - path: The state file's path.
    ///   - message: What is wrong and what to do, naming the file.
    package init(_ code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// 65 (`EX_DATAERR`) for a damaged file, 74 (`EX_IOERR`) for one that cannot be accessed.
    package var exitStatus: Int32 {
        code == .damaged ? 65 : 74
    }

    /// The message.
    package var description: String { message }

    /// The advice given with a damaged file.
    static let resetAdvice = "delete it, or run with --breaker-reset, to start again from a closed breaker"
}
