package minifig.data;

/**
 * One minifigure class: its id in the photo set (metadata.csv class_id), its raw name (minifigure_name) and
 * its universe (the top folder of its training photos: marvel, star-wars, harry-potter, jurassic-world).
 * Names are not unique (classes 1 and 17 are both SPIDER-MAN); {@link LabelSet#displayName} disambiguates.
 */
public record ClassInfo(int id, String name, String universe) {
    public ClassInfo {
        if (name == null || universe == null) throw new IllegalArgumentException("class " + id + ": null name/universe");
    }
}
