namespace CompiledNets.Examples.Classify;

/// <summary>Human names of the ten classes, chosen from what the parameter file says it was trained on.</summary>
internal static class ClassNames
{
    private static readonly string[] Digits = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    private static readonly string[] Fashion =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static string[] For(string dataDescription) =>
        dataDescription.Contains("Fashion", System.StringComparison.OrdinalIgnoreCase) ? Fashion : Digits;
}
