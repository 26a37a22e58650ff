/// What `ceauth --version` says: the release and the commit the binary was built from.
public enum BuildInfo {
    public static let version = "0.2.0"
    /// The full commit hash, or "unknown" for a build outside a git checkout.
    public static var commit: String { EmbeddedTemplates.commit }

    public static var versionLine: String {
        "\(version) (commit \(commit == "unknown" ? commit : String(commit.prefix(12))))"
    }
}
