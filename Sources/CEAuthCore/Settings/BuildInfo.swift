#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `ceauth --version` says: the release and the commit the binary was built from.
public enum BuildInfo {
    public static let version = "0.2.0"
    /// The full commit hash, or "unknown" for a build outside a git checkout.
    public static var commit: String { EmbeddedTemplates.commit }

    /// When the release was built, as the commit's time (SOURCE_DATE_EPOCH): ISO 8601 UTC, or
    /// nil for a build outside Scripts/release.
    public static var buildDate: String? {
        EmbeddedTemplates.buildEpoch.map { LoginPlan.timestamp(Date(timeIntervalSince1970: Double($0))) }
    }

    public static var versionLine: String {
        "\(version) (commit \(commit == "unknown" ? commit : String(commit.prefix(12))))"
    }
}
