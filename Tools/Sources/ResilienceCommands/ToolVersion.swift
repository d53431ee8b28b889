/// The version of the `resilience` tool, as `resilience --version` prints it.
///
/// The one place it is defined: bump it with each release of the repository (it follows the
/// library's version, since the tool is built from the same commit).
package enum ToolVersion {
    /// The version string, such as `0.1.0`.
    package static let current = "0.1.0"
}
