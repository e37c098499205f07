"""Sample French words the simulated schools write: names, places, comments, reports. All made up."""

from __future__ import annotations

FIRST_NAMES = (
    "Inès", "Yanis", "Chloé", "Mamadou", "Léa", "Rayan", "Anaïs", "Théo", "Fatoumata", "Noé", "Maëlys", "Kylian",
    "Aïcha", "Lucas", "Zoé", "Ibrahim", "Jade", "Enzo", "Sofiane", "Océane", "Bilal", "Manon", "Adama", "Camille",
    "Mehdi", "Sarah", "Hugo", "Yasmine", "Moussa", "Lina", "Nathan", "Kenza", "Dylan", "Emma", "Samy", "Awa",
    "Louis", "Imane", "Tom", "Assia", "Mathis", "Naël", "Clara", "Ilyes", "Eva", "Hamza", "Julie", "Kevin",
)
LAST_NAMES = (
    "Martin", "Diallo", "Lefèvre", "Nguyen", "Benali", "Moreau", "Traoré", "Dubois", "Da Silva", "Girard", "Haddad",
    "Lambert", "Keïta", "Fontaine", "Petit", "Cissé", "Rousseau", "Mercier", "Bernard", "Camara", "Ferreira",
    "Laurent", "Bouzid", "Garcia", "Roux", "Sylla", "Morel", "Pereira", "Fournier", "Koné", "Lemaire", "Tran",
    "Belkacem", "Durand", "Diop", "Faure", "Chevalier", "Mendy", "Gauthier", "Rahmani", "Perrin", "Coulibaly",
)
COLLEGE_PATRONS = (
    "Jean Moulin", "Pablo Neruda", "Louise Michel", "Jules Ferry", "Victor Hugo", "Marie Curie", "Jean Jaurès",
    "Anatole France", "Paul Éluard", "Romain Rolland", "Gustave Courbet", "Jacques Prévert", "Albert Camus",
    "Olympe de Gouges", "Elsa Triolet", "Georges Brassens", "Condorcet", "Simone Veil", "Lucie Aubrac",
    "Henri Wallon", "Pierre de Ronsard", "Camille Claudel", "Aimé Césaire", "Jean Vilar", "Rosa Parks",
    "Robert Doisneau", "Nelson Mandela", "Émile Zola", "Molière", "Antoine de Saint-Exupéry",
)
TOWNS = {
    "077": ("Meaux", "Chelles", "Melun", "Pontault-Combault", "Savigny-le-Temple", "Torcy", "Lagny-sur-Marne",
            "Montereau-Fault-Yonne", "Provins", "Fontainebleau", "Nemours", "Coulommiers"),
    "093": ("Saint-Denis", "Montreuil", "Aubervilliers", "Bobigny", "Bondy", "Sevran", "Aulnay-sous-Bois",
            "Clichy-sous-Bois", "Noisy-le-Grand", "Pantin", "Drancy", "La Courneuve", "Épinay-sur-Seine"),
    "094": ("Créteil", "Vitry-sur-Seine", "Champigny-sur-Marne", "Ivry-sur-Seine", "Villejuif", "Maisons-Alfort",
            "Fontenay-sous-Bois", "Choisy-le-Roi", "Orly", "Villeneuve-Saint-Georges", "Cachan", "Alfortville"),
}
ORIGIN_COMMENTS = (
    "Élève investi, a effectué un stage d'observation dans le domaine.",
    "Projet réfléchi, s'est renseigné aux portes ouvertes du lycée.",
    "Motivation réelle mais projet encore à préciser avec la famille.",
    "Bon engagement en atelier, assiduité à consolider.",
    "A rencontré des professionnels du métier lors du forum des formations.",
    "Projet porté par la famille, l'élève doit encore se l'approprier.",
    "Élève curieux, a préparé des questions sur la formation.",
    "Stage de découverte très positif, tuteur satisfait.",
)
REPORTS = {
    "favorable": (
        "Bonne connaissance du métier, projet cohérent avec le stage effectué.",
        "Élève bien informé sur la formation et ses débouchés, motivation affirmée.",
        "Projet mûri, a visité l'atelier et posé des questions pertinentes.",
    ),
    "assez_favorable": (
        "Motivation présente, connaissance du métier à approfondir avant la rentrée.",
        "Projet plausible ; conseiller un mini-stage pour confirmer le choix.",
        "Intérêt réel pour le domaine, représentation du métier encore floue.",
    ),
    "reserve": (
        "Projet peu informé : l'élève découvre le domaine, un autre entretien d'orientation est conseillé.",
        "Motivation à préciser ; inviter l'élève aux portes ouvertes avant de confirmer ce vœu.",
    ),
}
WITHDRAWAL_REASONS = (
    "a choisi une autre formation",
    "déménagement de la famille",
    "poursuite d'études en 2nde générale et technologique",
    "a renoncé après les portes ouvertes",
    "contrat d'apprentissage trouvé",
)
PLACES = (
    "Salle des entretiens, bâtiment A",
    "Atelier pédagogique, rez-de-chaussée",
    "Bureau du chef de travaux",
    "Salle polyvalente, bâtiment B",
    "CDI, salle de réunion",
)
EXTRA_PLACE = "Salle de réunion du proviseur adjoint"
