package joincheck.harness;

/** The seed's click, minimal: the impression id it clicks (the join key) and joincheck's record id. */
public class Click {
    public String clickId;
    public String recordId;

    public Click() {}

    public Click(String clickId, String recordId) {
        this.clickId = clickId;
        this.recordId = recordId;
    }
}
