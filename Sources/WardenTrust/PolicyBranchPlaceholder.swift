// Placeholder so the package builds on the policy branch before WardenTrust lands; delete on merge.
enum WardenTrustPlaceholder {}
