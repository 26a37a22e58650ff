/// What `ceauth delete` says happened to each side, the entry included.
public enum DeletionReport {
    /// `deletedAtCloudElements`: true deleted, false it was already gone, nil not called.
    public static func text(_ entry: KeyfileEntry, deletedAtCloudElements deleted: Bool?, removedFromKeyfile removed: Bool, keyfile: String) -> String {
        let local = removed ? "removed it from \(keyfile)" : "its entry was no longer in \(keyfile) (another run removed it?)"
        switch deleted {
        case true?: return "Deleted \(entry.summary) at Cloud Elements; \(local)."
        case false?: return "Cloud Elements no longer had \(entry.summary); \(local)."
        case nil: return (removed ? "Removed \(entry.summary) from \(keyfile)" : "\(entry.summary) was no longer in \(keyfile)") + "; Cloud Elements was not called."
        }
    }
}
