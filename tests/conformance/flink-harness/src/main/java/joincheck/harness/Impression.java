package joincheck.harness;

/** The seed's impression, minimal: its impression id (the join key) and joincheck's record id. */
public class Impression {
    public String impressionId;
    public String recordId;

    public Impression() {}

    public Impression(String impressionId, String recordId) {
        this.impressionId = impressionId;
        this.recordId = recordId;
    }
}
