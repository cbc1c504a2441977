package joincheck.harness;

/**
 * The seed's joined event. A null impression or click is a null-padded row of an outer join
 * (the corrected function only; the seed emits pairs).
 */
public class JoinedEvent {
    public Impression impression;
    public Click click;

    public JoinedEvent() {}

    public JoinedEvent(Impression impression, Click click) {
        this.impression = impression;
        this.click = click;
    }
}
